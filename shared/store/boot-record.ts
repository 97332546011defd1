import { idSchema, PROVISION_STATES, reportMessageSchema } from "../model/index.ts";
import * as z from "../validation/zod.ts";

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
  client: z.optional(z.string().check(z.maxLength(100))),
  mac: z.optional(z.string().check(z.maxLength(17))),
  uuid: z.optional(z.string().check(z.maxLength(36))),
  arch: z.optional(z.string().check(z.maxLength(16))),
  platform: z.optional(z.string().check(z.maxLength(16))),
  attempt: z.int().check(z.minimum(0)),
  /** The node's provision state when served. */
  state: z.optional(z.enum(PROVISION_STATES)),
  /** `boot` (kernel and ramdisk), `noboot` (a state that does not network boot), `error`. */
  outcome: z.string().check(z.maxLength(32)),
  purpose: z.optional(z.string().check(z.maxLength(32))),
  url_mode: z.enum(["swift", "artifacts"]),
  kernel: z.optional(z.string().check(z.maxLength(128))),
  ramdisk: z.optional(z.string().check(z.maxLength(128))),
  /** Unix seconds at which the script's download URLs stop working. */
  expires_at: z.optional(z.int()),
  reason: z.optional(z.string().check(z.maxLength(1000))),
  /** A callback report's message (outcome `report-done` or `report-fail`). */
  message: z.optional(reportMessageSchema),
});

export type BootRecord = z.output<typeof bootRecordSchema>;
