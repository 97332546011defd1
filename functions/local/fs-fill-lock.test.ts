import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsFillLock } from "./fs-fill-lock.ts";

const KEY = "artifacts/img:1/0123abcd";
const FILE = "artifacts+img:1+0123abcd.lock";
/** Above Linux's process id limit (2^22): no such process runs. */
const GONE_PID = 2 ** 30;

describe("FsFillLock (the local fill lock of npm start and cache warm)", () => {
  let dir: string;
  let now: number;
  let lock: FsFillLock;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "swiftboot-fill-lock-"));
    now = Date.now();
    lock = new FsFillLock(dir, () => now);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A lock file as another process would have left it. */
  const plant = (fields: Partial<Record<string, unknown>>) =>
    writeFile(
      join(dir, FILE),
      JSON.stringify({
        v: 1,
        key: KEY,
        owner: "someone",
        pid: process.ppid,
        host: hostname(),
        acquiredAt: now,
        expiresAt: now + 60_000,
        ...fields,
      }),
    );

  it("grants one owner at a time, tells who holds it and until when, and frees on release", async () => {
    expect(await lock.tryAcquire(KEY, 60, "a")).toBe(true);
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(false);
    expect(await lock.tryAcquire(KEY, 120, "a")).toBe(true); // re-entrant: extends
    expect(await lock.heldBy(KEY)).toEqual({
      owner: "a",
      expiresAt: now + 120_000,
      description: `process ${process.pid} on ${hostname()}`,
    });
    await lock.release(KEY, "b"); // not b's: nothing happens
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(false);
    await lock.release(KEY, "a");
    expect(await lock.heldBy(KEY)).toBeUndefined();
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(true);
    expect(await readdir(dir)).toEqual([FILE]); // no scratch files left
  });

  it("is taken over once it expires, even if its holder still runs", async () => {
    expect(await lock.tryAcquire(KEY, 60, "a")).toBe(true);
    now += 59_000;
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(false);
    now += 1_000;
    expect(await lock.heldBy(KEY)).toBeUndefined();
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(true);
    await lock.release(KEY, "a"); // a's lock is gone: it cannot release b's
    expect((await lock.heldBy(KEY))?.owner).toBe("b");
  });

  it("is taken over at once when its holder no longer runs (a crash, a kill)", async () => {
    await plant({ pid: GONE_PID });
    expect(await lock.heldBy(KEY)).toBeUndefined();
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(true);
    expect(JSON.parse(await readFile(join(dir, FILE), "utf8"))).toMatchObject({
      owner: "b",
      pid: process.pid,
    });
  });

  it("judges a running holder on another host by its expiry only", async () => {
    await plant({ pid: GONE_PID, host: `not-${hostname()}` });
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(false);
    expect((await lock.heldBy(KEY))?.description).toBe(`process ${GONE_PID} on not-${hostname()}`);
  });

  it("treats this process id's lock from before this process started as an orphan", async () => {
    await plant({ pid: process.pid, acquiredAt: performance.timeOrigin - 60_000 });
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(true);
  });

  it("treats an unreadable lock file as nobody's", async () => {
    await writeFile(join(dir, FILE), "{ not json");
    expect(await lock.tryAcquire(KEY, 60, "b")).toBe(true);
  });

  it("grants exactly one of many concurrent takers, also of a stale lock", async () => {
    for (const stale of [false, true]) {
      await rm(join(dir, FILE), { force: true });
      if (stale) await plant({ pid: GONE_PID });
      const owners = Array.from({ length: 16 }, (_, i) => `owner-${i}`);
      const granted = await Promise.all(owners.map((o) => lock.tryAcquire(KEY, 60, o)));
      expect(granted.filter(Boolean)).toHaveLength(1);
      const winner = owners[granted.indexOf(true)];
      expect((await lock.heldBy(KEY))?.owner).toBe(winner);
      expect(await readdir(dir)).toEqual([FILE]);
    }
  });

  it("removeOrphans removes expired locks and those of processes gone, and keeps live ones", async () => {
    const other = new FsFillLock(dir, () => now);
    await other.tryAcquire("artifacts/live/1", 60, "live"); // this process: running
    await other.tryAcquire("artifacts/expired/1", 1, "old");
    await plant({ pid: GONE_PID });
    await writeFile(join(dir, `${FILE}.${GONE_PID}-0123456789ab.new`), "{}");
    await writeFile(
      join(dir, `artifacts+other+1.lock.takeover`),
      JSON.stringify({ pid: GONE_PID, at: now }),
    );
    await writeFile(join(dir, `${FILE}.${process.pid}-0123456789ab.new`), "{}");
    now += 2_000;
    expect(await lock.removeOrphans()).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(
      ["artifacts+live+1.lock", `${FILE}.${process.pid}-0123456789ab.new`].sort(),
    );
  });

  it("refuses keys outside the cache's key set", async () => {
    await expect(lock.tryAcquire("../escape", 60, "a")).rejects.toThrow(TypeError);
  });
});
