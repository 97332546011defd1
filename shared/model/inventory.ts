import * as z from "../validation/zod.ts";
import { macSchema } from "./identifiers.ts";

/**
 * A machine's hardware as its inspection (or discovery) ramdisk reports it, through the callback
 * URL. Every field is optional, since ramdisks see different things; every value is bounded, so a
 * report cannot grow a node record past what DynamoDB or a listing page can hold.
 */
const MAX_INVENTORY_BYTES = 64 * 1024;

/** Printable text: no control characters, at most `max` characters. */
const text = (max: number) =>
  z.string().check(
    z.maxLength(max, `must be at most ${max} characters`),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    z.regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters or newlines"),
  );

const count = (max: number) => z.int().check(z.minimum(0), z.maximum(max));

export const diskSchema = z.strictObject({
  /** Kernel name, e.g. `sda`, `nvme0n1`. */
  name: text(64),
  size_bytes: z.optional(count(2 ** 53 - 1)),
  model: z.optional(text(128)),
  serial: z.optional(text(128)),
});

export const inventorySchema = z
  .strictObject({
    /** Every NIC's MAC, in any of the three accepted forms; stored canonical. */
    macs: z.optional(z.array(macSchema).check(z.maxLength(64, "must list at most 64 MACs"))),
    cpu: z.optional(
      z.strictObject({
        count: z.optional(count(65_536)),
        model: z.optional(text(200)),
      }),
    ),
    memory_mib: z.optional(count(1 << 30)),
    disks: z.optional(z.array(diskSchema).check(z.maxLength(256, "must list at most 256 disks"))),
    system: z.optional(
      z.strictObject({
        vendor: z.optional(text(128)),
        product: z.optional(text(128)),
        serial: z.optional(text(128)),
      }),
    ),
  })
  .check(
    z.superRefine((inventory, ctx) => {
      const size = new TextEncoder().encode(JSON.stringify(inventory)).length;
      if (size > MAX_INVENTORY_BYTES) {
        ctx.addIssue({
          code: "custom",
          message: `must be at most ${MAX_INVENTORY_BYTES} bytes as JSON (is ${size})`,
        });
      }
    }),
  );

export type Inventory = z.output<typeof inventorySchema>;
