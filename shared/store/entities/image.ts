import { Entity } from "dynamodb-toolbox/entity";
import { item } from "dynamodb-toolbox/schema/item";
import { map } from "dynamodb-toolbox/schema/map";
import { number } from "dynamodb-toolbox/schema/number";
import { string } from "dynamodb-toolbox/schema/string";
import { prefix } from "dynamodb-toolbox/transformers/prefix";
import { IMAGES_PARTITION, type SwiftbootTable } from "../table.ts";

/**
 * An image as stored: `IMAGE#<id>` / `IMAGE`. The types here guard the item's shape; the model's
 * `imageSchema` (zod) still validates every record read or written, because it owns the rules.
 */
export const imageItemSchema = item({
  id: string().key().savedAs("pk").transform(prefix("IMAGE")),
  sk: string().key().const("IMAGE").hidden(),
  name: string(),
  swift: map({ container: string().optional(), object: string() }),
  origin: string().optional(),
  size: number().optional(),
  sha256: string().optional(),
  /** Grows by one on every putImage (the ETag); absent on items written by other tools. */
  version: number().optional(),
  /**
   * Usage version: node writes that start using the image bump it in their transaction, so a
   * deleteImage that found no users fails its condition if one appeared meanwhile (table.ts).
   */
  uv: number().optional().savedAs("_uv").hidden(),
  /** Last write, for operators. Not a toolbox timestamp: those are required on read, and items
   * written by other tools (seeding, restores) should not read as corrupt for lacking one. */
  modified: string()
    .optional()
    .savedAs("_md")
    .putDefault(() => new Date().toISOString())
    .hidden(),
}).and((schema) => ({
  /** Listing index (table.ts): `IMAGES` / image id, derived on every put. */
  gsi1pk: string()
    .optional()
    .hidden()
    .link<typeof schema>(() => IMAGES_PARTITION),
  gsi1sk: string()
    .optional()
    .hidden()
    .link<typeof schema>(({ id }) => id),
}));

export function createImageEntity(table: SwiftbootTable) {
  return new Entity({
    name: "Image",
    table,
    schema: imageItemSchema,
    // No creation time: every Put would overwrite it.
    timestamps: false,
  });
}

export type ImageEntity = ReturnType<typeof createImageEntity>;
