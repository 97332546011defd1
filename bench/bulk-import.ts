import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { startDynamoDbLocal } from "../functions/local/dynamodb-local.ts";
import { type ImportDocument, importRecords } from "../shared/import/index.ts";
import { createDynamoStore, ensureTable, mapLimit } from "../shared/store/index.ts";
import type { BenchResult } from "./result.ts";

/**
 * `swiftboot import` of a 2,000-node fleet file into DynamoDB Local (in memory), against a
 * baseline measured in the same run: the same number of bare PutItems (one small item each,
 * 16 in flight), i.e. what DynamoDB Local itself costs per request here. A node import is more
 * (node, MAC claim, two usage items, in transactions, after batched reads of what is stored);
 * the target is the issue's: the whole file in under 10 s. Then the same file again, all
 * unchanged (reads only, nothing written).
 *
 * Run alone: `npm run bench -- bulk-import`.
 */
const NODES = 2_000;
const TARGET_SECONDS = 10;

export function fleetDocument(count: number): ImportDocument {
  const mac = (i: number) => `52:54:${i.toString(16).padStart(8, "0").match(/../g)?.join(":")}`;
  return {
    images: [
      { id: "ipa-kernel", name: "IPA kernel", swift: { object: "ipa/deploy.kernel" } },
      { id: "ipa-ramdisk", name: "IPA ramdisk", swift: { object: "ipa/deploy.initramfs" } },
    ],
    nodes: Array.from({ length: count }, (_, i) => ({
      id: `rack${Math.floor(i / 40)}-node${i % 40}`,
      name: `rack ${Math.floor(i / 40)} node ${i % 40}`,
      macs: [mac(i)],
      state: "deploying",
      deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
      kernel_args: "console=ttyS0,115200n8",
    })),
  };
}

const seconds = (start: number) => (performance.now() - start) / 1000;

export async function benchBulkImport(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "swiftboot-bench-bulk-"));
  try {
    return [
      ...(await benchOn("in memory", undefined)),
      // As `npm start` runs it: SQLite on disk, where each request costs more.
      ...(await benchOn("on disk, as npm start", dir)),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchOn(label: string, dbPath: string | undefined): Promise<BenchResult[]> {
  const local = await startDynamoDbLocal({ port: 0, ...(dbPath === undefined ? {} : { dbPath }) });
  const store = createDynamoStore({
    table: "bench-bulk-import",
    endpoint: local.endpoint,
    region: "us-east-1",
    timeoutMs: 30_000,
  });
  try {
    await ensureTable(store.client, "bench-bulk-import");
    const raw = DynamoDBDocumentClient.from(store.client);
    const keys = Array.from({ length: NODES }, (_, i) => i);
    let start = performance.now();
    await mapLimit(keys, 16, (i) =>
      raw.send(
        new PutCommand({
          TableName: "bench-bulk-import",
          Item: { pk: `BASELINE#${i}`, sk: "X", name: `node ${i}` },
        }),
      ),
    );
    const baseline = seconds(start);
    const doc = fleetDocument(NODES);
    start = performance.now();
    const first = await importRecords(store, doc);
    const imported = seconds(start);
    if (first.counts.created !== NODES + 2) {
      throw new Error(`bulk import bench: ${JSON.stringify(first.counts)}`);
    }
    start = performance.now();
    const again = await importRecords(store, doc);
    const reimported = seconds(start);
    if (again.counts.unchanged !== NODES + 2) {
      throw new Error(`bulk re-import bench: ${JSON.stringify(again.counts)}`);
    }
    const baselineName = `${NODES} bare PutItems, 16 in flight (${baseline.toFixed(2)} s)`;
    return [
      {
        name: `import of ${NODES} nodes (+2 images), DynamoDB Local ${label}`,
        value: Number(imported.toFixed(2)),
        unit: "s",
        baseline: baselineName,
        ratio: baseline / imported,
        target: `< ${TARGET_SECONDS} s`,
      },
      {
        name: `  same file again, all unchanged`,
        value: Number(reimported.toFixed(2)),
        unit: "s",
        baseline: baselineName,
        ratio: baseline / reimported,
      },
    ];
  } finally {
    store.client.destroy();
    await local.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchBulkImport()) console.log(r);
}
