import { describe, expect, it } from "vitest";
import { equalBytes, pseudoRandom, readAll, sha256Hex } from "../../test/support/cache/contract.ts";
import { OriginError } from "./errors.ts";
import { boundedTee, TeeStallError } from "./tee.ts";
import { idleTimeout, sliceStream, verifyForClient } from "./verify.ts";

/** A source of `chunks` chunks of `size` bytes that counts pulls and cancels. */
function counted(chunks: number, size = 1024, options: { stallAt?: number; failAt?: number } = {}) {
  let pulls = 0;
  let cancelled: unknown = false;
  const bytes = pseudoRandom(chunks * size, 3);
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pulls === options.stallAt) return new Promise<void>(() => {});
        if (pulls === options.failAt) {
          controller.error(new Error("reset"));
          return;
        }
        if (pulls >= chunks) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(pulls * size, (pulls + 1) * size));
        pulls++;
      },
      cancel(reason) {
        cancelled = reason ?? true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, bytes, pulls: () => pulls, cancelled: () => cancelled };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe("boundedTee", () => {
  it("gives both branches every byte in order", async () => {
    const src = counted(50);
    const [a, b] = boundedTee(src.stream, { highWaterMark: 8192 });
    const [ga, gb] = await Promise.all([readAll(a), readAll(b)]);
    expect(equalBytes(ga, src.bytes)).toBe(true);
    expect(equalBytes(gb, src.bytes)).toBe(true);
  });

  it("reads at the slower branch's pace: an idle branch caps how far the other gets", async () => {
    const src = counted(1000);
    const [fast, idle] = boundedTee(src.stream, { highWaterMark: 4096 });
    const reader = fast.getReader();
    let got = 0;
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        got += value.byteLength;
      }
    })();
    await tick(50);
    // The idle branch holds at most highWaterMark (4 chunks) + 1: so does everyone.
    expect(src.pulls()).toBeLessThanOrEqual(6);
    expect(got).toBeLessThanOrEqual(6 * 1024);
    await idle.cancel();
    await reading;
    expect(got).toBe(1000 * 1024);
    expect(src.cancelled()).toBe(false);
  });

  it("cancels the source once both branches are cancelled", async () => {
    const src = counted(1000);
    const [a, b] = boundedTee(src.stream, { highWaterMark: 4096 });
    await a.cancel("gone");
    expect(src.cancelled()).toBe(false);
    await b.cancel("gone too");
    await tick();
    expect(src.cancelled()).not.toBe(false);
  });

  it("errors both branches when the source fails", async () => {
    const src = counted(100, 1024, { failAt: 10 });
    const [a, b] = boundedTee(src.stream, { highWaterMark: 4096 });
    const [ra, rb] = await Promise.allSettled([readAll(a), readAll(b)]);
    expect(ra).toMatchObject({ status: "rejected", reason: { message: "reset" } });
    expect(rb).toMatchObject({ status: "rejected", reason: { message: "reset" } });
  });

  it("drops a branch that stops reading for stallMs; the other completes", async () => {
    const src = counted(200);
    const [reading, stalled] = boundedTee(src.stream, { highWaterMark: 2048, stallMs: 100 });
    const stalledReader = stalled.getReader();
    await stalledReader.read(); // reads once, then never again
    const got = await readAll(reading);
    expect(equalBytes(got, src.bytes)).toBe(true);
    const error = await (async () => {
      for (;;) {
        const r = await stalledReader.read();
        if (r.done) return undefined;
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeeStallError);
  });
});

describe("verifyForClient", () => {
  it("passes correct bytes through", async () => {
    const src = counted(20);
    const out = verifyForClient(src.stream, { size: 20 * 1024, sha256: sha256Hex(src.bytes) });
    expect(equalBytes(await readAll(out), src.bytes)).toBe(true);
  });

  it("holds back the last chunk until the source has ended", async () => {
    const src = counted(5, 1024, { stallAt: 5 });
    const reader = verifyForClient(src.stream, { size: 5 * 1024 }).getReader();
    let got = 0;
    for (let i = 0; i < 4; i++) got += ((await reader.read()).value as Uint8Array).byteLength;
    const fifth = await Promise.race([reader.read(), tick(50).then(() => "waiting" as const)]);
    expect(fifth).toBe("waiting");
    expect(got).toBe(4 * 1024);
    await reader.cancel();
  });

  it("errors one chunk short on a sha256 mismatch", async () => {
    const src = counted(20);
    const reader = verifyForClient(src.stream, {
      size: 20 * 1024,
      sha256: "0".repeat(64),
    }).getReader();
    let got = 0;
    const error = await (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return undefined;
        got += r.value.byteLength;
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OriginError);
    expect((error as OriginError).reason).toBe("sha256-mismatch");
    expect(got).toBe(19 * 1024);
  });

  it("errors on a short body, and stops a long one early, cancelling it", async () => {
    const short = counted(3);
    await expect(readAll(verifyForClient(short.stream, { size: 4 * 1024 }))).rejects.toMatchObject({
      reason: "size-mismatch",
    });
    const long = counted(1000);
    await expect(readAll(verifyForClient(long.stream, { size: 2 * 1024 }))).rejects.toMatchObject({
      reason: "size-mismatch",
    });
    expect(long.pulls()).toBeLessThan(5);
    expect(long.cancelled()).not.toBe(false);
  });
});

describe("sliceStream and idleTimeout", () => {
  it("cuts inclusive ranges across chunk boundaries and cancels the rest", async () => {
    for (const [start, end] of [
      [0, 0],
      [1023, 1024],
      [500, 5000],
      [20 * 1024 - 1, 20 * 1024 - 1],
    ] as const) {
      const src = counted(20);
      const got = await readAll(sliceStream(src.stream, start, end));
      expect(equalBytes(got, src.bytes.subarray(start, end + 1))).toBe(true);
    }
    const src = counted(1000);
    await readAll(sliceStream(src.stream, 0, 10));
    await tick();
    expect(src.cancelled()).not.toBe(false);
  });

  it("fails with OriginError(timeout) when the source goes quiet, and cancels it", async () => {
    const src = counted(10, 1024, { stallAt: 3 });
    const error = await readAll(idleTimeout(src.stream, 50)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OriginError);
    expect((error as OriginError).reason).toBe("timeout");
    expect(src.cancelled()).not.toBe(false);
  });
});
