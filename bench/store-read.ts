/**
 * Client CPU of the boot path's one store read, against DynamoDB Local: the store's
 * `findNodeByMac` (a direct GetItem of the MAC claim, shared/store/direct-get-item.ts, then the
 * node's record parsed and validated) against the same GetItem through the AWS SDK's
 * DynamoDBClient, through its DocumentClient and through dynamodb-toolbox (as the store read it
 * before), measured in the same run: this process's CPU
 * (user + system) per call, `CONCURRENCY` calls in flight, `CALLS` calls each, after a warm-up,
 * in alternating rounds (median). DynamoDB Local runs in its own process, so its CPU is not
 * counted. `ratio` is SDK CPU / store CPU (above 1: the store's read, validation included, costs
 * less client CPU than a bare SDK GetItem). Run alone: `tsx bench/store-read.ts`.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { GetItemCommand as ToolboxGet } from "dynamodb-toolbox/entity/actions/get";
import { startDynamoDbLocal } from "../functions/local/dynamodb-local.ts";
import { createDocumentClient } from "../shared/store/client.ts";
import { createStoreContext } from "../shared/store/context.ts";
import { createDynamoStore } from "../shared/store/index.ts";
import { seedTable } from "./load.ts";
import type { BenchResult } from "./result.ts";

const NODES = 1_000;
const CALLS = 3_000;
const CONCURRENCY = 10;
const ROUNDS = 3;
const TABLE = "bench-store-read";

/** Client CPU per call in µs: `CALLS` calls of `call(i)`, `CONCURRENCY` at a time. */
async function cpuPerCall(call: (i: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; i < CALLS; i += CONCURRENCY) await call(i);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CALLS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchStoreRead(): Promise<BenchResult[]> {
  const ddb = await startDynamoDbLocal({});
  try {
    const macs = await seedTable(ddb.endpoint, TABLE, NODES);
    const store = createDynamoStore({
      table: TABLE,
      endpoint: ddb.endpoint,
      region: "us-east-1",
      timeoutMs: 10_000,
    });
    const documents = DynamoDBDocumentClient.from(store.client);
    const ctx = createStoreContext(createDocumentClient(store.client), TABLE, 10_000);
    const mac = (i: number) => macs[(i * 7919) % NODES] as string;
    const pk = (i: number) => `MAC#${mac(i).replaceAll(":", "")}`;
    const ways: Record<string, (i: number) => Promise<unknown>> = {
      store: async (i) => {
        if ((await store.findNodeByMac(mac(i))) === undefined) throw new Error(`${mac(i)} missing`);
      },
      sdk: (i) =>
        store.client.send(
          new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk(i) }, sk: { S: "CLAIM" } } }),
        ),
      document: (i) =>
        documents.send(new GetCommand({ TableName: TABLE, Key: { pk: pk(i), sk: "CLAIM" } })),
      // The claim read as the store made it before direct-get-item.ts (validation not included).
      toolbox: (i) =>
        ctx.macClaim
          .build(ToolboxGet)
          .key({ mac: mac(i).replaceAll(":", "") })
          .send(),
    };
    const samples: Record<string, number[]> = { store: [], sdk: [], document: [], toolbox: [] };
    for (const call of Object.values(ways)) await cpuPerCall(call); // warm-up: JIT, connections
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of Object.entries(ways)) samples[name]?.push(await cpuPerCall(call));
    }
    store.client.destroy();
    const storeUs = median(samples.store ?? []);
    const sdkUs = median(samples.sdk ?? []);
    const documentUs = median(samples.document ?? []);
    return [
      {
        name: `boot read (findNodeByMac: direct GetItem + record validation), ${CONCURRENCY} in flight, client CPU per call`,
        value: Math.round(storeUs),
        unit: "µs",
        baseline: "a bare GetItem through the SDK's DynamoDBClient",
        ratio: sdkUs / storeUs,
        target: "ratio >= 1",
      },
      { name: "  bare GetItem, DynamoDBClient", value: Math.round(sdkUs), unit: "µs" },
      { name: "  bare GetItem, DynamoDBDocumentClient", value: Math.round(documentUs), unit: "µs" },
      {
        name: "  the claim's GetItem through dynamodb-toolbox (the boot read before), validation not included",
        value: Math.round(median(samples.toolbox ?? [])),
        unit: "µs",
      },
    ];
  } finally {
    await ddb.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchStoreRead()) console.log(r);
}
