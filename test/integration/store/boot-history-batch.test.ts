import { beforeAll, describe, expect, it } from "vitest";
import { BootHistoryQueue } from "../../../shared/boot/history-queue.ts";
import { createMemoryLogger } from "../../../shared/log/index.ts";
import type { BootRecord } from "../../../shared/store/boot-record.ts";
import { countingStore, createTestStore, node, type TestStore } from "./helpers.ts";

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-history-batch");
  await t.store.putNode(node({ id: "batched", macs: ["52:54:00:88:00:01"] }));
});

const record = (i: number): BootRecord => ({
  at: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
  node: "batched",
  attempt: i,
  outcome: "boot",
  url_mode: "artifacts",
});

describe("recordBoots (BatchWriteItem)", () => {
  it("writes 30 records in two requests, all readable in the node's history", async () => {
    const { store, counts } = await countingStore(t);
    await store.recordBoots(
      Array.from({ length: 30 }, (_, i) => record(i)),
      3600,
    );
    expect(counts()).toEqual({ BatchWriteItem: 2 });
    const page = await t.store.listBoots("batched", { limit: 100 });
    expect(page.items.map((b) => b.attempt)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
  });

  it("drops an invalid record alone, names it, and writes the rest", async () => {
    const { store } = await createTestStore("store-history-invalid");
    await store.putNode(node({ id: "batched", macs: ["52:54:00:88:00:02"] }));
    const bad = { ...record(1), attempt: -1 } as BootRecord;
    await expect(store.recordBoots([record(0), bad, record(2)], 3600)).rejects.toThrow(
      /1 invalid boot record\(s\) dropped: .*NODE#batched BOOT/,
    );
    expect((await store.listBoots("batched", { limit: 10 })).items).toHaveLength(2);
  });
});

describe("BootHistoryQueue over DynamoDB Local", () => {
  it("batches records added together into one write, and flush() writes what is held", async () => {
    const t = await createTestStore("store-history-queue");
    await t.store.putNode(node({ id: "batched", macs: ["52:54:00:88:00:03"] }));
    const { store, counts } = await countingStore(t);
    const { logger, records } = createMemoryLogger();
    // A long delay: only flush() (a clean shutdown) writes these.
    const queue = new BootHistoryQueue({ store, logger, delayMs: 60_000 });
    for (let i = 0; i < 10; i++) void queue.add(record(i), 3600);
    expect((await store.listBoots("batched", { limit: 100 })).items).toHaveLength(0);
    await queue.flush();
    expect(counts().BatchWriteItem).toBe(1);
    expect((await store.listBoots("batched", { limit: 100 })).items).toHaveLength(10);
    expect(records()).toEqual([]);
  });

  it("a failed write is one warning naming the node and count, and is not retried", async () => {
    const { store, counts } = await countingStore(await createTestStore("store-history-fail"));
    const { logger, records } = createMemoryLogger();
    const queue = new BootHistoryQueue({ store, logger, delayMs: 0 });
    // The table is gone: every write fails.
    const { DeleteTableCommand } = await import("@aws-sdk/client-dynamodb");
    await store.client.send(new DeleteTableCommand({ TableName: store.tableName }));
    const written = Promise.all([0, 1, 2].map((i) => queue.add(record(i), 3600)));
    await written; // settles, never rejects
    await new Promise((r) => setTimeout(r, 300));
    expect(counts()).toEqual({ DeleteTable: 1, BatchWriteItem: 1 });
    expect(records()).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "boot history not recorded",
        node: "batched",
        records: 3,
      }),
    ]);
  });
});
