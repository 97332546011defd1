import { randomUUID } from "node:crypto";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { inject, onTestFinished } from "vitest";
import { type NodeInput, nodeSchema } from "../../../shared/model/index.ts";
import { createDynamoStore, type DynamoStore, ensureTable } from "../../../shared/store/index.ts";
import { startCountingProxy } from "../../support/store/counting-proxy.ts";

export interface TestStore {
  store: DynamoStore;
  /** The raw DocumentClient, to write and inspect items behind the store's back. */
  raw: DynamoDBDocumentClient;
  table: string;
}

/** A store on its own fresh table in the shared DynamoDB Local. */
export async function createTestStore(prefix: string, timeoutMs = 5_000): Promise<TestStore> {
  const table = `${prefix}-${randomUUID().slice(0, 8)}`;
  const store = createDynamoStore({
    table,
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    timeoutMs,
  });
  await ensureTable(store.client, table);
  return { store, raw: DynamoDBDocumentClient.from(store.client), table };
}

export function node(input: Partial<NodeInput> & { id: string; macs: string[] }) {
  return nodeSchema.parse({ name: input.id, state: "available", ...input });
}

/**
 * Checks the claims invariant over the whole table: every claim points at a node that lists it,
 * and every node's MACs and UUID are claimed by it. Returns the problems found (none = []).
 */
export async function claimProblems({ raw, table }: TestStore): Promise<string[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const byKey = new Map(items.map((i) => [String(i.pk), i]));
  const problems: string[] = [];
  for (const item of items) {
    const pk = String(item.pk);
    if (pk.startsWith("MAC#") || pk.startsWith("UUID#")) {
      const owner = byKey.get(`NODE#${String(item.nodeId)}`);
      const value = pk.slice(pk.indexOf("#") + 1);
      const listed = pk.startsWith("MAC#")
        ? (owner?.macs as string[] | undefined)?.some((m) => m.replaceAll(":", "") === value)
        : owner?.uuid === value;
      if (!listed) problems.push(`orphan claim ${pk} → ${String(item.nodeId)}`);
    }
    if (pk.startsWith("NODE#")) {
      const id = pk.slice(5);
      for (const mac of item.macs as string[]) {
        const claim = byKey.get(`MAC#${mac.replaceAll(":", "")}`);
        if (claim?.nodeId !== id)
          problems.push(`${pk} lists ${mac} but the claim says ${String(claim?.nodeId)}`);
      }
      if (typeof item.uuid === "string" && byKey.get(`UUID#${item.uuid}`)?.nodeId !== id) {
        problems.push(`${pk} lists uuid ${item.uuid} without holding its claim`);
      }
    }
  }
  return problems;
}

/**
 * `t`'s table through a proxy that counts the calls reaching DynamoDB by operation (`GetItem`,
 * `BatchWriteItem`, ...): counted at the wire, whichever layer makes them (dynamodb-toolbox, the
 * document client, the boot read's direct GetItem). The proxy closes when the test ends.
 */
export async function countingStore(
  t: Pick<TestStore, "table">,
): Promise<{ store: DynamoStore; counts: () => Record<string, number> }> {
  const proxy = await startCountingProxy(inject("dynamodbEndpoint"));
  onTestFinished(() => proxy.close());
  const store = createDynamoStore({
    table: t.table,
    endpoint: proxy.endpoint,
    region: "us-east-1",
    timeoutMs: 5_000,
  });
  return { store, counts: proxy.counts };
}
