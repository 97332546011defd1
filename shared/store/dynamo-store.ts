import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DiscoveryStore } from "../discovery/record.ts";
import { normalizeMac, normalizeUuid } from "../model/index.ts";
import { batchGetImages } from "./batch-reads.ts";
import { listBoots, recordBoot } from "./boot-history.ts";
import { recordBoots } from "./boot-history-batch.ts";
import type { BootRecord } from "./boot-record.ts";
import { getClaimOwner } from "./claim-reads.ts";
import { findNodeByMacClaim } from "./claim-snapshot-reads.ts";
import { createDocumentClient, createDynamoClient, type DynamoStoreOptions } from "./client.ts";
import { createStoreContext, type StoreContext } from "./context.ts";
import { createDirectGetItem } from "./direct-get-item.ts";
import { deleteDiscovered, getDiscovered, listDiscovered, recordSighting } from "./discovered.ts";
import { deleteImage, putImage } from "./image-writes.ts";
import { listImages, listNodes } from "./listing.ts";
import {
  type BulkNodeStore,
  batchClaimOwners,
  batchReadNodes,
  writeNodesBulk,
} from "./node-bulk.ts";
import { deleteNode, putNode } from "./node-writes.ts";
import { getImage, getImageVersioned, getNode, getNodeVersioned } from "./strict-reads.ts";
import { withTimeBudget } from "./time-budget.ts";
import type { AdminStore } from "./types.ts";

export interface DynamoStore extends AdminStore, DiscoveryStore {
  /** The underlying client, e.g. for ensureTable(). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Batched reads and multi-node transactions for `swiftboot import` (node-bulk.ts). */
  readonly bulk: BulkNodeStore;
  recordBoots(records: readonly BootRecord[], retentionSeconds: number): Promise<void>;
}

/**
 * The DynamoDB-backed store. Runs on Node and on Workers: it imports only the AWS SDK and
 * dynamodb-toolbox. Every call fails within about `timeoutMs` when DynamoDB cannot answer.
 */
export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  const client = createDynamoClient(options);
  const ctx = createStoreContext(createDocumentClient(client), options.table, options.timeoutMs);
  const getItem = createDirectGetItem(ctx.direct, options.table);
  return {
    client,
    tableName: options.table,
    bulk: {
      readNodes: (ids) => batchReadNodes(ctx, ids),
      claimOwners: (identities) => batchClaimOwners(ctx, identities),
      writeNodes: (entries, onWritten) => writeNodesBulk(ctx, entries, onWritten),
    },
    findNodeByMac: async (mac) => {
      const canonical = normalizeMac(mac);
      if (canonical === undefined) return undefined;
      // One GetItem: the claim carries the node's record (claim-snapshot-reads.ts).
      return withTimeBudget(ctx.timeoutMs, (signal) =>
        findNodeByMacClaim(ctx, getItem, canonical, { consistent: false, signal }),
      );
    },
    findNodeByUuid: (uuid) => findNodeBy(ctx, "uuid", normalizeUuid(uuid)),
    getImages: (ids) => batchGetImages(ctx, ids),
    putImage: async (image, options) => {
      await putImage(ctx, image, options);
    },
    writeImage: (image, options) => putImage(ctx, image, options),
    getImage: (id) => getImage(ctx, id, { consistent: true }),
    getImageVersioned: (id) => getImageVersioned(ctx, id, { consistent: true }),
    listImages: (page) => listImages(ctx, page),
    deleteImage: (id, options) => deleteImage(ctx, id, options),
    putNode: async (node, options) => {
      await putNode(ctx, node, options);
    },
    writeNode: (node, options) => putNode(ctx, node, options),
    getNode: (id) => getNode(ctx, id, { consistent: true }),
    getNodeVersioned: (id) => getNodeVersioned(ctx, id, { consistent: true }),
    listNodes: (query) => listNodes(ctx, query),
    deleteNode: (id, options) => deleteNode(ctx, id, options),
    recordBoot: (record, retentionSeconds) => recordBoot(ctx, record, retentionSeconds),
    recordBoots: (records, retentionSeconds) => recordBoots(ctx, records, retentionSeconds),
    listBoots: (nodeId, page) => listBoots(ctx, nodeId, page),
    recordSighting: (write) => recordSighting(ctx, write),
    listDiscovered: (page) => listDiscovered(ctx, page),
    getDiscovered: (mac) => getDiscovered(ctx, mac),
    deleteDiscovered: (mac) => deleteDiscovered(ctx, mac),
  };
}

/**
 * Boot path: claim, then node (two GetItems). A node that no longer lists the identity (a claim
 * left behind by a manual edit, or a read racing a move) is treated as not found.
 */
async function findNodeBy(ctx: StoreContext, kind: "mac" | "uuid", value: string | undefined) {
  if (value === undefined) return undefined;
  // One budget for both reads: the lookup as a whole answers within timeoutMs.
  return withTimeBudget(ctx.timeoutMs, async (signal) => {
    const read = { consistent: false, signal };
    const owner = await getClaimOwner(ctx, kind, value, read);
    if (owner === undefined) return undefined;
    const found = await getNode(ctx, owner, read);
    if (found === undefined) return undefined;
    const listed = kind === "mac" ? found.macs.includes(value) : found.uuid === value;
    return listed ? found : undefined;
  });
}
