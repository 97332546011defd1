import { Entity } from "dynamodb-toolbox/entity";
import { any } from "dynamodb-toolbox/schema/any";
import { item } from "dynamodb-toolbox/schema/item";
import { list } from "dynamodb-toolbox/schema/list";
import { map } from "dynamodb-toolbox/schema/map";
import { number } from "dynamodb-toolbox/schema/number";
import { record } from "dynamodb-toolbox/schema/record";
import { string } from "dynamodb-toolbox/schema/string";
import { prefix } from "dynamodb-toolbox/transformers/prefix";
import { ARCHES, BOOT_OPTIONS, PROVISION_STATES } from "../../model/index.ts";
import { nodeListPartition, nodeShard, type SwiftbootTable } from "../table.ts";

const kernelRamdisk = () => map({ kernel: string(), ramdisk: string() });
const instanceImages = () =>
  map({
    kernel: string().optional(),
    ramdisk: string().optional(),
    boot: string().enum(...BOOT_OPTIONS),
  });

/**
 * A node as stored: `NODE#<id>` / `NODE`. `version` grows by one on every write and guards
 * putNode/deleteNode against concurrent writers (see node-writes.ts). The shape mirrors the model's
 * `nodeSchema`, which still validates every record read or written because it owns the rules
 * (MAC forms, id alphabet, kernel argument safety).
 */
export const nodeItemSchema = item({
  id: string().key().savedAs("pk").transform(prefix("NODE")),
  sk: string().key().const("NODE").hidden(),
  /** Absent only on items written by other tools; the first putNode sets it to 1. */
  version: number().optional(),
  /** Last write, for operators. Not a toolbox timestamp: those are required on read. */
  modified: string()
    .optional()
    .savedAs("_md")
    .putDefault(() => new Date().toISOString())
    .hidden(),
  name: string(),
  macs: list(string()),
  uuid: string().optional(),
  state: string().enum(...PROVISION_STATES),
  deploy: kernelRamdisk().optional(),
  rescue: kernelRamdisk().optional(),
  instance: instanceImages().optional(),
  kernel_args: string().optional(),
  arch_images: record(
    string().enum(...ARCHES),
    map({
      deploy: kernelRamdisk().optional(),
      rescue: kernelRamdisk().optional(),
      instance: instanceImages().optional(),
    }),
  )
    .partial()
    .optional(),
  /** Kept by the store and by callback reports (provision-fields.ts); the model validates them. */
  state_id: string().optional(),
  last_report: map({
    at: string(),
    status: string(),
    state: string(),
    state_id: string(),
    message: string().optional(),
  }).optional(),
  inventory: any().optional(),
}).and((schema) => ({
  /** Listing index (table.ts): `NODES#<state>#<shard>` / node id, derived on every put. */
  gsi1pk: string()
    .optional()
    .hidden()
    .link<typeof schema>(({ state, id }) => nodeListPartition(state, nodeShard(id))),
  gsi1sk: string()
    .optional()
    .hidden()
    .link<typeof schema>(({ id }) => id),
}));

export function createNodeEntity(table: SwiftbootTable) {
  return new Entity({
    name: "Node",
    table,
    schema: nodeItemSchema,
    timestamps: false,
  });
}

export type NodeEntity = ReturnType<typeof createNodeEntity>;
