import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createDynamoFillLock,
  LOCK_SORT_KEY,
  lockPartitionKey,
} from "../../../shared/store/fill-lock.ts";
import { StoreUnavailableError } from "../../../shared/store/index.ts";
import { createTestStore, type TestStore } from "./helpers.ts";

describe("DynamoDB fill lock", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore("fill-lock");
  });
  const lock = () => createDynamoFillLock({ client: t.raw, table: t.table });
  const item = async (key: string) =>
    (
      await t.raw.send(
        new GetCommand({
          TableName: t.table,
          Key: { pk: lockPartitionKey(key), sk: LOCK_SORT_KEY },
          ConsistentRead: true,
        }),
      )
    ).Item;

  it("grants one of many concurrent acquirers", async () => {
    const l = lock();
    const owners = Array.from({ length: 12 }, (_, i) => `owner-${i}`);
    const results = await Promise.all(owners.map((o) => l.tryAcquire("k/concurrent", 60, o)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = owners[results.indexOf(true)];
    expect((await item("k/concurrent"))?.owner).toBe(winner);
  });

  it("stores owner and an epoch-seconds ttl on the LOCK item", async () => {
    const before = Math.floor(Date.now() / 1000);
    expect(await lock().tryAcquire("k/item", 90, "me")).toBe(true);
    const stored = await item("k/item");
    expect(stored).toMatchObject({ pk: "LOCK#k/item", sk: "LOCK", owner: "me" });
    expect(stored?.ttl).toBeGreaterThanOrEqual(before + 90);
    expect(stored?.ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 90);
  });

  it("refuses a second owner while the lock is held, and the holder stays", async () => {
    const l = lock();
    expect(await l.tryAcquire("k/held", 60, "a")).toBe(true);
    expect(await l.tryAcquire("k/held", 60, "b")).toBe(false);
    expect((await item("k/held"))?.owner).toBe("a");
  });

  it("ignores a release by a non-owner", async () => {
    const l = lock();
    expect(await l.tryAcquire("k/release", 60, "a")).toBe(true);
    await expect(l.release("k/release", "b")).resolves.toBeUndefined();
    expect((await item("k/release"))?.owner).toBe("a");
    expect(await l.tryAcquire("k/release", 60, "b")).toBe(false);
  });

  it("can be re-acquired after release, by anyone", async () => {
    const l = lock();
    expect(await l.tryAcquire("k/again", 60, "a")).toBe(true);
    await l.release("k/again", "a");
    expect(await item("k/again")).toBeUndefined();
    expect(await l.tryAcquire("k/again", 60, "b")).toBe(true);
    await l.release("k/again", "b");
    expect(await l.tryAcquire("k/again", 60, "a")).toBe(true);
  });

  it("releasing a lock nobody holds is a no-op", async () => {
    await expect(lock().release("k/never", "a")).resolves.toBeUndefined();
  });

  it("treats an item whose ttl has passed as free (TTL deletion is lazy)", async () => {
    // What DynamoDB may still hold long after the ttl: an expired lock of a crashed instance.
    await t.raw.send(
      new PutCommand({
        TableName: t.table,
        Item: {
          pk: lockPartitionKey("k/expired"),
          sk: LOCK_SORT_KEY,
          owner: "crashed",
          ttl: Math.floor(Date.now() / 1000) - 5,
        },
      }),
    );
    const l = lock();
    expect(await l.tryAcquire("k/expired", 60, "b")).toBe(true);
    expect((await item("k/expired"))?.owner).toBe("b");
    // The old owner's late release must not free the new holder's lock.
    await l.release("k/expired", "crashed");
    expect((await item("k/expired"))?.owner).toBe("b");
  });

  it("expires on the clock: a lock is free once its ttl is in the past", async () => {
    let now = Date.now();
    const l = createDynamoFillLock({ client: t.raw, table: t.table, now: () => now });
    expect(await l.tryAcquire("k/clock", 10, "a")).toBe(true);
    now += 5_000;
    expect(await l.tryAcquire("k/clock", 10, "b")).toBe(false);
    now += 7_000;
    expect(await l.tryAcquire("k/clock", 10, "b")).toBe(true);
  });

  it("reports an unreachable table as StoreUnavailableError", async () => {
    const l = createDynamoFillLock({ client: t.raw, table: "no-such-table-xyz" });
    await expect(l.tryAcquire("k", 10, "a")).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
