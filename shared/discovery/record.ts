import { archSchema, macSchema, platformSchema, uuidSchema } from "../model/index.ts";
import * as z from "../validation/zod.ts";

/**
 * A machine that chained in and matched no node, as `GET /v1/discovered` lists it. Values come
 * from the boot request, already validated there; they are stored only in canonical form.
 */
export const discoveredMachineSchema = z.strictObject({
  mac: macSchema,
  uuid: z.optional(uuidSchema),
  arch: z.optional(archSchema),
  platform: z.optional(platformSchema),
  /** The requesting address as the runtime saw it, at the last recorded sighting. */
  client: z.optional(z.string().check(z.maxLength(100))),
  /** ISO 8601 times of the first and the last recorded sighting. */
  first_seen: z.iso.datetime(),
  last_seen: z.iso.datetime(),
  /** Requests seen (counted per server process, and written at most once a minute per MAC). */
  count: z.int().check(z.minimum(1)),
});
export type DiscoveredMachine = z.output<typeof discoveredMachineSchema>;

/** One request from an unknown machine. */
export interface Sighting {
  mac: string;
  uuid?: string | undefined;
  arch?: string | undefined;
  platform?: string | undefined;
  client?: string | undefined;
  at: Date;
}

export interface SightingWrite {
  sighting: Sighting;
  /** Requests since the last write, this one included. */
  count: number;
  /** DynamoDB TTL: seconds after `at` the record expires. */
  ttlSeconds: number;
  /** Skip the write when the stored record was written less than this long ago. */
  minIntervalSeconds: number;
}

export interface DiscoveryPage {
  items: DiscoveredMachine[];
  cursor?: string;
}

/** What the discovered list needs from storage. */
export interface DiscoveryStore {
  /** False when the stored record was written too recently (nothing written). */
  recordSighting(write: SightingWrite): Promise<boolean>;
  /** Most recently seen first; expired records are hidden. */
  listDiscovered(page: { limit: number; cursor?: string }): Promise<DiscoveryPage>;
  getDiscovered(mac: string): Promise<DiscoveredMachine | undefined>;
  /** False when there was none. */
  deleteDiscovered(mac: string): Promise<boolean>;
}

/** What the boot route needs to record sightings (a boot-only store may have just this). */
export type SightingWriter = Pick<DiscoveryStore, "recordSighting">;

export function canRecordSightings(store: unknown): store is SightingWriter {
  return typeof (store as Partial<SightingWriter> | undefined)?.recordSighting === "function";
}

export function isDiscoveryStore(store: unknown): store is DiscoveryStore {
  const s = store as Partial<DiscoveryStore> | undefined;
  return (
    typeof s?.recordSighting === "function" &&
    typeof s.listDiscovered === "function" &&
    typeof s.getDiscovered === "function" &&
    typeof s.deleteDiscovered === "function"
  );
}
