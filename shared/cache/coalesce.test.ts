import { describe, expect, it } from "vitest";
import { pseudoRandom, sha256Hex, streamOf } from "../../test/support/cache/contract.ts";
import { MemoryCache } from "../../test/support/cache/memory-cache.ts";
import { MemoryFillLock } from "../../test/support/cache/memory-fill-lock.ts";
import { FillCoordinator } from "./coalesce.ts";
import { OriginError } from "./errors.ts";
import { type Fill, type FillResult, startFill } from "./fill.ts";

const KEY = "artifacts/img/0123456789abcdef0123456789abcdef";
const BYTES = pseudoRandom(100_000, 1);

function coordinator(cache: MemoryCache, lock = new MemoryFillLock(), waitMs = 1000) {
  return new FillCoordinator({
    cache,
    lock,
    owner: `test-${Math.random()}`,
    lockTtlSeconds: 60,
    waitMs,
    pollMs: 10,
  });
}

/** A start() that fills from BYTES after `gate` resolves, counting calls. */
function starter(cache: MemoryCache, gate: Promise<void> = Promise.resolve()) {
  let calls = 0;
  const start = async (withClient: boolean): Promise<Fill> => {
    calls++;
    let released = false;
    const body = streamOf(BYTES, 8192);
    const reader = body.getReader();
    const gated = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!released) {
          await gate;
          released = true;
        }
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
    });
    return startFill({
      cache,
      key: KEY,
      origin: { body: gated, size: BYTES.byteLength },
      expected: { size: BYTES.byteLength, sha256: sha256Hex(BYTES) },
      contentType: "application/octet-stream",
      withClient,
      highWaterMark: 65536,
      stallMs: 0,
    });
  };
  return { start, calls: () => calls };
}

describe("FillCoordinator", () => {
  it("one leader fills; followers wait and find the object cached", async () => {
    const cache = new MemoryCache();
    const c = coordinator(cache);
    let open = () => {};
    const s = starter(cache, new Promise<void>((r) => (open = r)));
    const outcomes = Promise.all(
      [1, 2, 3, 4].map(() => c.miss(KEY, { start: s.start, withClient: false })),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(c.inflight).toBe(1);
    open();
    for (const o of await outcomes) expect(o.kind).toBe("cached");
    expect(s.calls()).toBe(1);
    expect(c.inflight).toBe(0);
  });

  it("a leader that asks for the client stream gets it; followers past waitMs bypass", async () => {
    const cache = new MemoryCache();
    const c = coordinator(cache, new MemoryFillLock(), 50);
    let open = () => {};
    const s = starter(cache, new Promise<void>((r) => (open = r)));
    const leader = await c.miss(KEY, { start: s.start, withClient: true });
    expect(leader.kind).toBe("filling");
    const follower = await c.miss(KEY, { start: s.start, withClient: true });
    expect(follower).toEqual({ kind: "bypass", why: "wait-timeout" });
    open();
    if (leader.kind !== "filling") throw new Error("unreachable");
    await new Response(leader.fill.client).arrayBuffer();
    const done: FillResult = await leader.fill.done;
    expect(done.ok).toBe(true);
    expect(s.calls()).toBe(1);
  });

  it("with the lock held elsewhere, polls the cache and serves what another instance stored", async () => {
    const cache = new MemoryCache();
    const lock = new MemoryFillLock();
    await lock.tryAcquire(KEY, 60, "other-instance");
    const c = coordinator(cache, lock);
    const s = starter(cache);
    const waiting = c.miss(KEY, { start: s.start, withClient: true });
    await new Promise((r) => setTimeout(r, 30));
    await cache.put(KEY, streamOf(BYTES, 8192), { contentType: "application/octet-stream" });
    expect((await waiting).kind).toBe("cached");
    expect(s.calls()).toBe(0);
  });

  it("the lock held past waitMs means bypass, and the lock is left to its holder", async () => {
    const cache = new MemoryCache();
    const lock = new MemoryFillLock();
    await lock.tryAcquire(KEY, 60, "other-instance");
    const c = coordinator(cache, lock, 50);
    expect(await c.miss(KEY, { start: starter(cache).start, withClient: true })).toEqual({
      kind: "bypass",
      why: "lock-held",
    });
    expect(lock.holder(KEY)).toBe("other-instance");
  });

  it("an origin failure at start is reported to the leader and to its followers, and frees the lock", async () => {
    const cache = new MemoryCache();
    const lock = new MemoryFillLock();
    const c = coordinator(cache, lock);
    let fail = () => {};
    const gate = new Promise<void>((r) => (fail = r));
    const start = async (): Promise<Fill> => {
      await gate;
      throw new OriginError("origin answered HTTP 500", "status", { status: 500 });
    };
    const leader = c.miss(KEY, { start, withClient: true });
    const follower = c.miss(KEY, { start, withClient: true });
    fail();
    for (const o of await Promise.all([leader, follower])) {
      expect(o.kind).toBe("failed");
      if (o.kind === "failed") expect((o.error as OriginError).reason).toBe("status");
    }
    expect(lock.holder(KEY)).toBeUndefined();
    expect(c.inflight).toBe(0);
  });

  it("stops waiting when the client goes away", async () => {
    const cache = new MemoryCache();
    const c = coordinator(cache);
    let open = () => {};
    const s = starter(cache, new Promise<void>((r) => (open = r)));
    const leader = c.miss(KEY, { start: s.start, withClient: false });
    const abort = new AbortController();
    const follower = c.miss(KEY, { start: s.start, withClient: false, signal: abort.signal });
    abort.abort();
    expect(await follower).toEqual({ kind: "aborted" });
    open();
    expect((await leader).kind).toBe("cached");
  });
});
