import { z } from "zod";
import { idSchema, PROVISION_STATES } from "../model/index.ts";

/**
 * One script served to a known node, as kept in its boot history: what was decided and when the
 * script's download URLs expire, never the URLs themselves (their signatures are credentials).
 * Values from the network (MAC, UUID, arch, platform) are stored only in canonical form.
 */
export const bootRecordSchema = z.strictObject({
  /** ISO 8601 time the script was served. */
  at: z.iso.datetime(),
  node: idSchema,
  /** The requesting address as the runtime saw it. */
  client: z.string().max(100).optional(),
  mac: z.string().max(17).optional(),
  uuid: z.string().max(36).optional(),
  arch: z.string().max(16).optional(),
  platform: z.string().max(16).optional(),
  attempt: z.int().min(0),
  /** The node's provision state when served. */
  state: z.enum(PROVISION_STATES).optional(),
  /** `boot` (kernel and ramdisk), `noboot` (a state that does not network boot), `error`. */
  outcome: z.string().max(32),
  purpose: z.string().max(32).optional(),
  url_mode: z.enum(["swift", "artifacts"]),
  kernel: z.string().max(128).optional(),
  ramdisk: z.string().max(128).optional(),
  /** Unix seconds at which the script's download URLs stop working. */
  expires_at: z.int().optional(),
  reason: z.string().max(1000).optional(),
});

export type BootRecord = z.output<typeof bootRecordSchema>;
