/**
 * Client CPU of the boot path's one store read, against DynamoDB Local: the store's
 * `findNodeByMac` (a direct GetItem of the MAC claim, shared/store/direct-get-item.ts, then the
 * node's record parsed and validated) against the same GetItem through the AWS SDK's
 * DynamoDBClient, through its DocumentClient and through dynamodb-toolbox (as the store read it
 * before), measured in the same run: this process's CPU
 * (user + system) per call, `CONCURRENCY` calls in flight, `CALLS` calls each, after a warm-up,
 * in alternating rounds (median). DynamoDB Local runs in its own process, so its CPU is not
 * counted. `ratio` is SDK CPU / store CPU (above 1: the store's read, validation included, costs
 * less client CPU than a bare SDK GetItem). Then the boot history's writes: client CPU per record
 * in BatchWriteItems of 25, the store's (direct-call.ts) against the DocumentClient's, sequential.
 * Run alone: `tsx bench/store-read.ts`.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { GetItemCommand as ToolboxGet } from "dynamodb-toolbox/entity/actions/get";
import { startDynamoDbLocal } from "../functions/local/dynamodb-local.ts";
import { bootItem } from "../shared/store/boot-history.ts";
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

/** Client CPU per boot record written, in batches of 25: the store's way and the DocumentClient's. */
async function historyWrites(
  store: ReturnType<typeof createDynamoStore>,
  documents: DynamoDBDocumentClient,
): Promise<{ direct: number; sdk: number }> {
  const RECORDS = 5_000;
  const records = (round: number) =>
    Array.from({ length: 25 }, (_, i) => ({
      at: new Date(Date.UTC(2031, 0, 1, 0, round % 60, i)).toISOString(),
      node: `load-${(round * 25 + i) % NODES}`,
      attempt: 1,
      outcome: "boot",
      purpose: "deploy",
      mac: "52:54:00:00:00:01",
      arch: "x86_64",
      platform: "efi",
      url_mode: "artifacts" as const,
      kernel: "load-kernel",
      ramdisk: "load-ramdisk",
      expires_at: 1_900_000_000,
      state: "deploying" as const,
      client: "127.0.0.1",
    }));
  const ways: Record<"direct" | "sdk", (round: number) => Promise<unknown>> = {
    direct: (round) => store.recordBoots(records(round), 3600),
    sdk: (round) =>
      documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [TABLE]: records(round).map((r) => ({ PutRequest: { Item: bootItem(r, 3600) } })),
          },
        }),
      ),
  };
  const perRecord = async (write: (round: number) => Promise<unknown>) => {
    const before = process.cpuUsage();
    for (let round = 0; round < RECORDS / 25; round++) await write(round);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / RECORDS;
  };
  const samples = { direct: [] as number[], sdk: [] as number[] };
  for (const write of Object.values(ways)) await perRecord(write); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    samples.direct.push(await perRecord(ways.direct));
    samples.sdk.push(await perRecord(ways.sdk));
  }
  return { direct: median(samples.direct), sdk: median(samples.sdk) };
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
    const writes = await historyWrites(store, documents);
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
        name: "boot history: client CPU per record written (BatchWriteItem of 25, direct)",
        value: Math.round(writes.direct),
        unit: "µs",
        baseline: "the same items through the SDK's DocumentClient BatchWriteItem",
        ratio: writes.sdk / writes.direct,
        target: "ratio >= 1",
      },
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
