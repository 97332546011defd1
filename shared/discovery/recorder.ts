import type { Sighting, SightingWriter } from "./record.ts";

/**
 * Decides which sightings of unknown machines are written, so that neither a machine stuck in a
 * boot loop nor a flood of forged MACs can turn boot requests into a write each:
 *
 * - per MAC, at most one write a minute from this process (and the store's condition makes it one
 *   a minute across all processes); requests in between are counted and added by the next write;
 * - at most `maxWritesPerMinute` writes a minute in all (new MACs beyond it are not recorded);
 * - the per-MAC memory holds at most `maxTracked` MACs (the oldest are forgotten first).
 *
 * The table itself stays bounded by the TTL. Pure bookkeeping: the caller does the write, off the
 * boot answer's path.
 */
export interface RecorderLimits {
  minIntervalMs: number;
  maxWritesPerMinute: number;
  maxTracked: number;
}

export const DEFAULT_LIMITS: RecorderLimits = {
  minIntervalMs: 60_000,
  maxWritesPerMinute: 600,
  maxTracked: 10_000,
};

interface Tracked {
  lastWrite: number;
  /** Requests not written yet. */
  pending: number;
}

export class DiscoveryRecorder {
  readonly #tracked = new Map<string, Tracked>();
  #windowStart = 0;
  #windowWrites = 0;

  constructor(readonly limits: RecorderLimits = DEFAULT_LIMITS) {}

  /**
   * The count to write for this sighting (requests since the last write, this one included), or
   * undefined when it is not to be written now.
   */
  admit(mac: string, nowMs: number): number | undefined {
    const tracked = this.#tracked.get(mac);
    if (tracked !== undefined && nowMs - tracked.lastWrite < this.limits.minIntervalMs) {
      tracked.pending++;
      return undefined;
    }
    if (nowMs - this.#windowStart >= 60_000) {
      this.#windowStart = nowMs;
      this.#windowWrites = 0;
    }
    if (this.#windowWrites >= this.limits.maxWritesPerMinute) {
      if (tracked !== undefined) tracked.pending++;
      return undefined;
    }
    this.#windowWrites++;
    const count = (tracked?.pending ?? 0) + 1;
    this.#tracked.delete(mac); // re-inserted last: the Map's order is the forgetting order
    while (this.#tracked.size >= this.limits.maxTracked) {
      const oldest = this.#tracked.keys().next().value;
      if (oldest === undefined) break;
      this.#tracked.delete(oldest);
    }
    this.#tracked.set(mac, { lastWrite: nowMs, pending: 0 });
    return count;
  }

  /** Writes the sighting if admitted; resolves to whether a write happened. */
  async record(store: SightingWriter, sighting: Sighting, ttlSeconds: number): Promise<boolean> {
    const count = this.admit(sighting.mac, sighting.at.getTime());
    if (count === undefined) return false;
    return store.recordSighting({
      sighting,
      count,
      ttlSeconds,
      minIntervalSeconds: this.limits.minIntervalMs / 1000,
    });
  }

  /** MACs currently remembered (for tests). */
  get tracked(): number {
    return this.#tracked.size;
  }
}
