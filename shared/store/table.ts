import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Table } from "dynamodb-toolbox/table";

/**
 * One table, `pk` (S) + `sk` (S), on-demand, TTL on `ttl`.
 *
 * Key design: every item that the boot path reads is its own partition, addressed by a key that
 * the request already carries, so a lookup is one GetItem (or one BatchGetItem) whatever the
 * number of nodes. No index and no Query/Scan is on the boot path; a million nodes is about three
 * million small items spread over as many partitions, so there are no hot keys either.
 *
 * | item            | pk                          | sk      | other attributes                      |
 * | --------------- | --------------------------- | ------- | ------------------------------------- |
 * | node            | `NODE#<node id>`            | `NODE`  | the Node record, `version`, `_md`     |
 * | image           | `IMAGE#<image id>`          | `IMAGE` | the Image record, `_md`               |
 * | MAC claim       | `MAC#<12 lower-case hex>`   | `CLAIM` | `nodeId`                              |
 * | UUID claim      | `UUID#<lower-case uuid>`    | `CLAIM` | `nodeId`                              |
 *
 * Claims make a MAC or UUID unique across nodes: putNode writes the node and its claims in one
 * transaction, each claim conditional on being free or already ours. A claim holds only the node
 * id, not a copy of the node: a lookup by MAC costs two sequential GetItems (claim, then node)
 * instead of one, a few milliseconds in-region, against the boot's artifact downloads of seconds.
 * In exchange the node item is the single source of truth, an update writes one node item rather
 * than one copy per MAC, and a claim never needs rewriting when the node changes.
 *
 * Reserved for later features, with `ttl` (epoch seconds) so DynamoDB expires them:
 * boot history under the node's own partition (`NODE#<id>` / `BOOT#<iso time>`, read by Query on
 * one node's short, TTL-bounded collection, never on the boot path), and locks (`LOCK#<name>` /
 * `LOCK`). Admin listings of all nodes are not served by this design without a Scan; when they are
 * needed, add a sharded index rather than a single-partition list.
 */
export const TTL_ATTRIBUTE = "ttl";

export function createSwiftbootTable(documentClient: DynamoDBDocumentClient, name: string) {
  return new Table({
    documentClient,
    name,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
  });
}

export type SwiftbootTable = ReturnType<typeof createSwiftbootTable>;
