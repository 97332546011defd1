import { Entity } from "dynamodb-toolbox/entity";
import { item } from "dynamodb-toolbox/schema/item";
import { string } from "dynamodb-toolbox/schema/string";
import { prefix } from "dynamodb-toolbox/transformers/prefix";
import type { SwiftbootTable } from "../table.ts";

/**
 * Identity claims make a MAC or a UUID belong to at most one node. Each is its own partition,
 * so the boot path finds a node by MAC or UUID with one GetItem, and putNode can claim them with
 * a condition in the same transaction as the node.
 */

/**
 * `MAC#<12 lower-case hex>` / `CLAIM` → node id. `mac` is the bare hex (no separators). `node`:
 * the node's record as JSON, written in the same transaction as the node item (node-writes.ts),
 * so a boot script for a known machine costs this one GetItem (claim-snapshot-reads.ts). Claims
 * written before it existed lack it, and are followed by a read of the node item.
 */
export const macClaimItemSchema = item({
  mac: string().key().savedAs("pk").transform(prefix("MAC")),
  sk: string().key().const("CLAIM").hidden(),
  nodeId: string(),
  node: string().optional(),
});

/** `UUID#<lower-case uuid>` / `CLAIM` → node id. */
export const uuidClaimItemSchema = item({
  uuid: string().key().savedAs("pk").transform(prefix("UUID")),
  sk: string().key().const("CLAIM").hidden(),
  nodeId: string(),
});

export function createMacClaimEntity(table: SwiftbootTable) {
  // No timestamps: a claim is rewritten by every putNode and should stay byte-identical.
  return new Entity({ name: "MacClaim", table, schema: macClaimItemSchema, timestamps: false });
}

export function createUuidClaimEntity(table: SwiftbootTable) {
  return new Entity({ name: "UuidClaim", table, schema: uuidClaimItemSchema, timestamps: false });
}

export type MacClaimEntity = ReturnType<typeof createMacClaimEntity>;
export type UuidClaimEntity = ReturnType<typeof createUuidClaimEntity>;

/** `52:54:00:ab:cd:ef` → `525400abcdef`, the form used in claim keys. */
export function macKey(canonicalMac: string): string {
  return canonicalMac.replaceAll(":", "");
}
