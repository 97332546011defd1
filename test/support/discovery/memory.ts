import type {
  DiscoveredMachine,
  DiscoveryPage,
  DiscoveryStore,
  SightingWrite,
} from "../../../shared/discovery/record.ts";
import { normalizeMac } from "../../../shared/model/index.ts";
import { decodeCursor, encodeCursor } from "../../../shared/store/cursor.ts";
import * as z from "../../../shared/validation/zod.ts";
import { MemoryStore } from "../store/memory-store.ts";

/** An in-memory DiscoveryStore with the DynamoDB one's rules (interval, TTL, newest first). */
export class MemoryDiscoveryStore implements DiscoveryStore {
  readonly #machines = new Map<string, { machine: DiscoveredMachine; expires: number }>();

  async recordSighting({ sighting, count, ttlSeconds, minIntervalSeconds }: SightingWrite) {
    const mac = normalizeMac(sighting.mac);
    if (mac === undefined) return false;
    const at = sighting.at.toISOString();
    const previous = this.#live(mac);
    if (
      previous !== undefined &&
      Date.parse(previous.last_seen) > sighting.at.getTime() - minIntervalSeconds * 1000
    ) {
      return false;
    }
    const optional = {
      uuid: sighting.uuid,
      arch: sighting.arch,
      platform: sighting.platform,
      client: sighting.client?.slice(0, 100),
    };
    const machine = {
      ...previous,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
      mac,
      first_seen: previous?.first_seen ?? at,
      last_seen: at,
      count: (previous?.count ?? 0) + count,
    } as DiscoveredMachine;
    this.#machines.set(mac, {
      machine,
      expires: Math.floor(sighting.at.getTime() / 1000) + ttlSeconds,
    });
    return true;
  }

  async listDiscovered(page: { limit: number; cursor?: string }): Promise<DiscoveryPage> {
    const before = page.cursor === undefined ? undefined : decodeCursor(cursor, page.cursor).k;
    const sorted = [...this.#machines.keys()]
      .flatMap((mac) => {
        const m = this.#live(mac);
        return m === undefined ? [] : [{ key: `${m.last_seen}#${mac}`, m }];
      })
      .filter((e) => before === undefined || e.key < before)
      .sort((a, b) => (a.key < b.key ? 1 : -1));
    const items = sorted.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((e) => structuredClone(e.m)),
      ...(sorted.length > page.limit && last !== undefined
        ? { cursor: encodeCursor({ k: last.key }) }
        : {}),
    };
  }

  async getDiscovered(mac: string) {
    const canonical = normalizeMac(mac);
    const m = canonical === undefined ? undefined : this.#live(canonical);
    return m === undefined ? undefined : structuredClone(m);
  }

  async deleteDiscovered(mac: string) {
    const canonical = normalizeMac(mac);
    return canonical !== undefined && this.#machines.delete(canonical);
  }

  #live(mac: string): DiscoveredMachine | undefined {
    const entry = this.#machines.get(mac);
    if (entry === undefined || entry.expires < Date.now() / 1000) return undefined;
    return entry.machine;
  }
}

const cursor = z.strictObject({ k: z.string().check(z.maxLength(100)) });

/** A MemoryStore that also keeps discovered machines, for tests of the whole app. */
export class MemoryStoreWithDiscovery extends MemoryStore implements DiscoveryStore {
  readonly #discovered = new MemoryDiscoveryStore();
  recordSighting(write: SightingWrite) {
    return this.#discovered.recordSighting(write);
  }
  listDiscovered(page: { limit: number; cursor?: string }) {
    return this.#discovered.listDiscovered(page);
  }
  getDiscovered(mac: string) {
    return this.#discovered.getDiscovered(mac);
  }
  deleteDiscovered(mac: string) {
    return this.#discovered.deleteDiscovered(mac);
  }
}
