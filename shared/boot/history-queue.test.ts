import { describe, expect, it } from "vitest";
import { createMemoryLogger } from "../log/index.ts";
import type { BootRecord } from "../store/boot-record.ts";
import type { BootStore } from "../store/types.ts";
import { BootHistoryQueue } from "./history-queue.ts";

const record = (i: number): BootRecord => ({
  at: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
  node: `n${i}`,
  attempt: 0,
  outcome: "boot",
  url_mode: "artifacts",
});

/** A store recording each batch it is asked to write. */
function batchStore(fail?: Error) {
  const batches: { nodes: string[]; retention: number }[] = [];
  const store: BootStore = {
    findNodeByMac: async () => undefined,
    findNodeByUuid: async () => undefined,
    getImages: async () => new Map(),
    recordBoots: async (records, retention) => {
      batches.push({ nodes: records.map((r) => r.node), retention });
      if (fail) throw fail;
    },
  };
  return { store, batches };
}

describe("BootHistoryQueue", () => {
  it("writes a full batch of 25 at once, and the rest when its timer fires", async () => {
    const { store, batches } = batchStore();
    const { logger } = createMemoryLogger();
    const queue = new BootHistoryQueue({ store, logger, delayMs: 20 });
    const written = Array.from({ length: 30 }, (_, i) => queue.add(record(i), 60));
    await written[0];
    expect(batches).toEqual([
      { nodes: Array.from({ length: 25 }, (_, i) => `n${i}`), retention: 60 },
    ]);
    await written[29];
    expect(batches[1]?.nodes).toEqual(["n25", "n26", "n27", "n28", "n29"]);
    await queue.flush();
    expect(batches).toHaveLength(2);
  });

  it("keeps records of different retentions in their own batches (a reload changed it)", async () => {
    const { store, batches } = batchStore();
    const queue = new BootHistoryQueue({ store, logger: createMemoryLogger().logger, delayMs: 0 });
    await Promise.all([queue.add(record(1), 60), queue.add(record(2), 120)]);
    expect(batches).toEqual([
      { nodes: ["n1"], retention: 60 },
      { nodes: ["n2"], retention: 120 },
    ]);
  });

  it("settles, never rejects, when the write fails; the failure is one warning", async () => {
    const { store, batches } = batchStore(new Error("throttled"));
    const { logger, records } = createMemoryLogger();
    const queue = new BootHistoryQueue({ store, logger, delayMs: 0 });
    await Promise.all([queue.add(record(1), 60), queue.add(record(2), 60)]);
    expect(batches).toHaveLength(1);
    expect(records()).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "boot history not recorded",
        node: "n1",
        records: 2,
        error: "Error: throttled",
      }),
    ]);
  });

  it("flush() gives up on a write that never finishes after its bound", async () => {
    const store: BootStore = {
      findNodeByMac: async () => undefined,
      findNodeByUuid: async () => undefined,
      getImages: async () => new Map(),
      recordBoots: () => new Promise(() => {}),
    };
    const queue = new BootHistoryQueue({ store, logger: createMemoryLogger().logger, delayMs: 0 });
    void queue.add(record(1), 60);
    const started = Date.now();
    await queue.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
  }, 10_000);
});
