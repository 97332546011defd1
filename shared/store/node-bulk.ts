import { BatchGetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { BatchGetRequest } from "dynamodb-toolbox/entity/actions/batchGet";
import { EntityFormatter } from "dynamodb-toolbox/entity/actions/format";
import { ID_PATTERN, imageIdsOf, type Node } from "../model/index.ts";
import type { NodeBeforeWrite } from "./before-write-reads.ts";
import { call, formatOrCorrupt, type StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import { CorruptRecordError, StoreUnavailableError } from "./errors.ts";
import { type Identity, identityKey, type TransactItem } from "./node-transaction.ts";
import { nodeWritePlan, putNode } from "./node-writes.ts";
import { storedProvisionFields } from "./provision-fields.ts";
import { nodeForWrite, nodeFromItem } from "./records.ts";
import type { Versioned, WriteResult } from "./types.ts";

/**
 * Bulk reads and writes for `swiftboot import`: BatchGetItem for what the import must know
 * before it writes (the stored nodes, who holds each MAC and UUID), and several nodes per
 * TransactWriteItems. DynamoDB (and DynamoDB Local even more) charges mostly per request, so a
 * transaction of 15 nodes costs far less than 15 transactions of one.
 *
 * A group whose transaction is cancelled (a MAC taken meanwhile, a version moved, a missing
 * image) is written again node by node with putNode, which names the node and field that failed;
 * one bad node never fails the others.
 */

/** BatchGetItem's limit per request. */
const BATCH_GET_KEYS = 100;
/** DynamoDB's limit on items in one transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** Concurrent requests of one bulk call: enough to hide latency, few enough not to throttle. */
const PARALLEL_REQUESTS = 8;

/** A stored node as a bulk read finds it; `record` is undefined when the item is invalid. */
export interface BulkNode {
  versioned?: Versioned<Node>;
  corrupt: boolean;
}

export interface BulkNodeWrite {
  node: Node;
  /** The stored node as read (undefined: absent), so the write needs no read of its own. */
  current: Versioned<Node> | undefined;
  /** If-Match: the version the write must find. */
  expectedVersion?: number;
}

export type BulkWriteResult = { result: WriteResult } | { error: unknown };

/** What a store offers `swiftboot import` beyond AdminStore (createDynamoStore's `bulk`). */
export interface BulkNodeStore {
  readNodes(ids: readonly string[]): Promise<Map<string, BulkNode>>;
  claimOwners(identities: readonly Identity[]): Promise<Map<string, string>>;
  writeNodes(
    entries: readonly BulkNodeWrite[],
    onWritten?: (count: number) => void,
  ): Promise<BulkWriteResult[]>;
}

/** Runs `work` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Raw items for `keys`, strongly consistent, in parallel requests of 100, retrying throttling. */
async function batchGetRaw(
  ctx: StoreContext,
  keys: Record<string, unknown>[],
  what: string,
): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
    chunks.push(keys.slice(i, i + BATCH_GET_KEYS));
  }
  const found = await mapLimit(chunks, PARALLEL_REQUESTS, async (chunk) => {
    const items: Record<string, unknown>[] = [];
    let pending = chunk;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 8) {
        throw new StoreUnavailableError(
          `DynamoDB left ${pending.length} ${what} reads unprocessed (throttled)`,
        );
      }
      if (round > 0) await new Promise((r) => setTimeout(r, Math.min(25 * 2 ** round, 1000)));
      const output = await call(ctx, `BatchGetItem ${what}`, (options) =>
        ctx.documentClient.send(
          new BatchGetCommand({
            RequestItems: { [ctx.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
          options,
        ),
      );
      items.push(...(output.Responses?.[ctx.tableName] ?? []));
      pending = (output.UnprocessedKeys?.[ctx.tableName]?.Keys ?? []) as typeof pending;
    }
    return items;
  });
  return found.flat();
}

/** Nodes by id (strongly consistent); absent ids are absent from the map. */
export async function batchReadNodes(
  ctx: StoreContext,
  ids: readonly string[],
): Promise<Map<string, BulkNode>> {
  const wanted = [...new Set(ids)].filter((id) => ID_PATTERN.test(id));
  const keys = wanted.map((id) => ctx.node.build(BatchGetRequest).key({ id }).params());
  const found = new Map<string, BulkNode>();
  for (const raw of await batchGetRaw(ctx, keys, "nodes")) {
    const key = String(raw.pk);
    const id = key.slice("NODE#".length);
    try {
      const { version, ...record } = formatOrCorrupt(key, () =>
        ctx.node.build(EntityFormatter).format(raw),
      );
      found.set(id, {
        versioned: { record: nodeFromItem(key, record), version: version ?? 0 },
        corrupt: false,
      });
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      found.set(id, { corrupt: true });
    }
  }
  return found;
}

/** Which node holds each MAC (canonical) or UUID claim, by identityKey; free ones are absent. */
export async function batchClaimOwners(
  ctx: StoreContext,
  identities: readonly Identity[],
): Promise<Map<string, string>> {
  const byPk = new Map<string, string>();
  const keys: Record<string, unknown>[] = [];
  for (const id of identities) {
    const pk = id.kind === "mac" ? `MAC#${macKey(id.value)}` : `UUID#${id.value}`;
    if (byPk.has(pk)) continue;
    byPk.set(pk, identityKey(id));
    keys.push(
      id.kind === "mac"
        ? ctx.macClaim
            .build(BatchGetRequest)
            .key({ mac: macKey(id.value) })
            .params()
        : ctx.uuidClaim.build(BatchGetRequest).key({ uuid: id.value }).params(),
    );
  }
  const owners = new Map<string, string>();
  for (const raw of await batchGetRaw(ctx, keys, "identity claims")) {
    const key = byPk.get(String(raw.pk));
    if (key !== undefined && typeof raw.nodeId === "string") owners.set(key, raw.nodeId);
  }
  return owners;
}

function beforeWrite(current: Versioned<Node> | undefined): NodeBeforeWrite | undefined {
  if (current === undefined) return undefined;
  const { record, version } = current;
  return {
    // Versioned reports 0 for an unversioned item; the write's condition needs "absent" then.
    version: version === 0 ? undefined : version,
    macs: record.macs,
    uuid: record.uuid,
    images: imageIdsOf(record),
    provision: storedProvisionFields(record),
  };
}

/** The DynamoDB key of a transaction item, to keep one group from touching an item twice. */
function itemKey(item: TransactItem): string {
  const key = (item.Put?.Item ??
    item.Update?.Key ??
    item.Delete?.Key ??
    item.ConditionCheck?.Key ??
    {}) as Record<string, unknown>;
  return `${String(key.pk)}|${String(key.sk)}`;
}

interface Group {
  entries: { entry: BulkNodeWrite; index: number }[];
  items: TransactItem[];
  keys: Set<string>;
}

/**
 * Writes many nodes, several per transaction. Each result is the node's WriteResult or the error
 * that failed it alone; StoreUnavailableError (the store is down or throttling) is thrown.
 * Nodes sharing an identity must not be in one call: callers write moves separately.
 */
export async function writeNodesBulk(
  ctx: StoreContext,
  entries: readonly BulkNodeWrite[],
  onWritten: (count: number) => void = () => {},
): Promise<BulkWriteResult[]> {
  const results = new Array<BulkWriteResult>(entries.length);
  const groups: Group[] = [];
  let group: Group | undefined;
  for (const [index, entry] of entries.entries()) {
    let plan: ReturnType<typeof nodeWritePlan>;
    try {
      const node = nodeForWrite(entry.node);
      plan = nodeWritePlan(
        ctx,
        node,
        beforeWrite(entry.current),
        { releases: new Set(), images: new Set() },
        entry.expectedVersion,
      );
    } catch (error) {
      results[index] = { error };
      continue;
    }
    // Image bumps repeat across nodes: one per image and transaction is enough (and required).
    const isBump = (item: TransactItem) => item.Update !== undefined;
    const clash = plan.items.some((item) => !isBump(item) && group?.keys.has(itemKey(item)));
    let fresh = plan.items.filter((item) => !(isBump(item) && group?.keys.has(itemKey(item))));
    if (group === undefined || clash || group.items.length + fresh.length > MAX_TRANSACTION_ITEMS) {
      group = { entries: [], items: [], keys: new Set() };
      groups.push(group);
      fresh = plan.items;
    }
    group.items.push(...fresh);
    for (const item of fresh) group.keys.add(itemKey(item));
    group.entries.push({ entry, index });
  }
  await mapLimit(groups, PARALLEL_REQUESTS, async (g) => {
    const written = await writeGroup(ctx, g);
    for (const [i, { index }] of g.entries.entries()) {
      results[index] = written[i] as BulkWriteResult;
    }
    onWritten(g.entries.length);
  });
  return results;
}

async function writeGroup(ctx: StoreContext, group: Group): Promise<BulkWriteResult[]> {
  try {
    await call(ctx, `TransactWriteItems ${group.entries.length} nodes`, (options) =>
      ctx.documentClient.send(new TransactWriteCommand({ TransactItems: group.items }), options),
    );
    return group.entries.map(({ entry }) => ({
      result: {
        version: (entry.current?.version ?? 0) + 1,
        created: entry.current === undefined,
      },
    }));
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    // Cancelled (or refused): each node again on its own, to learn which failed and why.
  }
  const out: BulkWriteResult[] = [];
  for (const { entry } of group.entries) {
    try {
      const result = await putNode(ctx, entry.node, {
        ...(entry.expectedVersion === undefined ? {} : { expectedVersion: entry.expectedVersion }),
      });
      out.push({ result });
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      out.push({ error });
    }
  }
  return out;
}
