import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Table } from "dynamodb-toolbox/table";

/**
 * One table, `pk` (S) + `sk` (S), on-demand, TTL on `ttl`, and one global secondary index
 * `gsi1` (`gsi1pk` S + `gsi1sk` S, projection ALL) for admin listings.
 *
 * Key design: every item that the boot path reads is its own partition, addressed by a key that
 * the request already carries, so a lookup is one GetItem (or one BatchGetItem) whatever the
 * number of nodes. No index and no Query/Scan is on the boot path; a million nodes is about three
 * million small items spread over as many partitions, so there are no hot keys either.
 *
 * | item            | pk                          | sk                         | other attributes                        |
 * | --------------- | --------------------------- | -------------------------- | --------------------------------------- |
 * | node            | `NODE#<node id>`            | `NODE`                     | Node record, `version`, `_md`, gsi1 keys |
 * | boot history    | `NODE#<node id>`            | `BOOT#<iso time>#<random>` | BootRecord, `ttl`                        |
 * | image           | `IMAGE#<image id>`          | `IMAGE`                    | Image record, `version`, `_uv`, `_md`, gsi1 keys |
 * | image usage     | `IMAGE#<image id>`          | `USEDBY#<node id>`         | `nodeId`                                 |
 * | MAC claim       | `MAC#<12 lower-case hex>`   | `CLAIM`                    | `nodeId`                                 |
 * | UUID claim      | `UUID#<lower-case uuid>`    | `CLAIM`                    | `nodeId`                                 |
 * | discovered      | `DISC#<12 lower-case hex>`  | `DISC`                     | DiscoveredMachine, `ttl`, gsi1 keys      |
 *
 * | gsi1 item | gsi1pk                         | gsi1sk     |
 * | --------- | ------------------------------ | ---------- |
 * | node      | `NODES#<state>#<shard>`        | node id    |
 * | image     | `IMAGES`                       | image id   |
 * | discovered | `DISCOVERED`                  | `<last seen>#<12 hex>` |
 *
 * Claims make a MAC or UUID unique across nodes: putNode writes the node and its claims in one
 * transaction, each claim conditional on being free or already ours. A MAC claim also carries a
 * copy of the node's boot-relevant record (`node`, JSON, without reports and inventory), written
 * in that same transaction, so a boot finds a known machine with one GetItem
 * (claim-snapshot-reads.ts). The price: a node write rewrites one claim per MAC (a few small
 * items, already in the transaction), and a hand edit of a node item reaches boots by MAC only
 * at the node's next write through swiftboot. A UUID claim holds only the node id (UUID lookups
 * are the fallback for unknown MACs: claim, then node).
 *
 * Listings (admin only) Query gsi1, never Scan. Nodes are partitioned by state, so `?state=`
 * reads only that state's partition, and listing all nodes walks the 12 states in turn (a page
 * may take several Queries when states are sparse). Each state can be split over NODE_SHARDS
 * partitions by a hash of the node id (see there; one today). Pages come in (state, shard, id)
 * order. Trade-offs: projection ALL
 * doubles node storage and write cost, but a page is one Query with no follow-up reads; the index
 * is eventually consistent (a node written a moment ago may be missing from a listing, and one
 * changing state while pages are walked may show twice or not at all); items written by other
 * tools lack the gsi1 keys and are not listed until their next write; changing NODE_SHARDS needs
 * every node rewritten. Images are few and rarely written: one `IMAGES` partition.
 *
 * Image usage: putNode's transaction also writes `IMAGE#<id>` / `USEDBY#<node>` for every image
 * the node refers to (idempotent, like claims, so a lost item is repaired by the next write) and
 * deletes those it no longer refers to; deleteNode deletes them all. For images it starts using,
 * it also bumps the image's `_uv` (conditional on the image existing). deleteImage reads the
 * image, Queries its `USEDBY#` items (refusing with the users listed), then deletes the image on
 * condition that `version` and `_uv` are unchanged, so a node that started using it meanwhile
 * makes the delete retry and be refused; a node write racing the other way finds the image gone.
 * Cost: each node write carries one more item per image it uses (two for an image it starts
 * using), and a transaction holds at most 100 items: about 1 + MACs + images + new images. A
 * typical node (a few MACs, up to six images) needs a dozen; a write past 100 (say 32 MACs and
 * 40 arch-specific images added at once) is refused whole (InvalidRecordError) and has to be
 * split over several writes.
 *
 * Boot history lives in the node's own partition, read by a Query on one node's short,
 * TTL-bounded collection (`boot_history_days`), newest first, never on the boot path; the boot
 * route writes it after answering. Deleting a node leaves its history to expire. Locks, if ever
 * needed, go under `LOCK#<name>` / `LOCK` with a `ttl`.
 */
export const TTL_ATTRIBUTE = "ttl";

export const LIST_INDEX = "gsi1";
export const LIST_PK = "gsi1pk";
export const LIST_SK = "gsi1sk";
/**
 * Partitions per state in the listing index. One: each state is its own index partition key, and
 * DynamoDB splits a hot key's items over physical partitions by sort key as load demands. The
 * shard is in the key format anyway, so a fleet that changes state faster than one key takes
 * (about 1,000 writes/s) can raise this; that needs every node rewritten, and makes an
 * unfiltered page cost up to 12 × NODE_SHARDS Queries on a sparse table.
 */
export const NODE_SHARDS = 1;
export const IMAGES_PARTITION = "IMAGES";

/** FNV-1a: a stable, cheap hash of the node id that spreads ids evenly over the shards. */
export function nodeShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % NODE_SHARDS;
}

export const nodeListPartition = (state: string, shard: number) => `NODES#${state}#${shard}`;

export function createSwiftbootTable(documentClient: DynamoDBDocumentClient, name: string) {
  return new Table({
    documentClient,
    name,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    indexes: {
      [LIST_INDEX]: {
        type: "global",
        partitionKey: { name: LIST_PK, type: "string" },
        sortKey: { name: LIST_SK, type: "string" },
      },
    },
  });
}

export type SwiftbootTable = ReturnType<typeof createSwiftbootTable>;
