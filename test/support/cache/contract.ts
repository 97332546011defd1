/**
 * The contract every ArtifactCache adapter passes (local directory, S3, R2, memory). Test
 * support living beside the interface: it imports vitest and must never be imported by
 * production code.
 *
 *   describeArtifactCacheContract("fs", async () => ({ cache, cleanup }));
 *
 * `makeCache` runs once for the suite; every test writes under its own random key prefix, so
 * a shared bucket is fine. `buffersObjects: true` skips the streaming-memory check (MemoryCache);
 * `writeBufferBytes` declares what a put holds by design (S3: the parts in flight), which the
 * check allows for, growing the object so that buffering it whole would still show.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactCacheKey } from "../../../shared/artifacts/cache-key.ts";
import { createSha256 } from "../../../shared/cache/sha256.ts";
import {
  type ArtifactCache,
  CacheWriteError,
  type CacheWriteOptions,
} from "../../../shared/cache/types.ts";

const MiB = 1024 * 1024;

export interface ContractSubject {
  cache: ArtifactCache;
  cleanup(): Promise<void>;
  /** The adapter keeps whole objects in memory (skips the streaming check). */
  buffersObjects?: boolean;
  /** Bytes a put may hold in memory by design (e.g. multipart parts in flight); default 0. */
  writeBufferBytes?: number;
}

/** Retained memory the streaming check tolerates beyond `writeBufferBytes`: read chunks, GC lag. */
const MEMORY_SLACK = 8 * MiB;

const CONTENT_TYPE = "application/octet-stream";

export function describeArtifactCacheContract(
  name: string,
  makeCache: () => Promise<ContractSubject>,
): void {
  describe(`ArtifactCache contract: ${name}`, () => {
    let subject: ContractSubject;
    let cache: ArtifactCache;
    const run = crypto.randomUUID().slice(0, 8);
    let n = 0;
    /** A fresh key per use, shaped like the real ones (an image id may hold `:` and `.`). */
    const key = () => artifactCacheKey(`contract-${run}:img.${n++}`, hex(16));

    beforeAll(async () => {
      subject = await makeCache();
      cache = subject.cache;
    }, 120_000);
    afterAll(async () => {
      await subject?.cleanup();
    }, 120_000);

    const put = (k: string, bytes: Uint8Array, extra: Partial<CacheWriteOptions> = {}) =>
      cache.put(k, streamOf(bytes, 16 * 1024), {
        contentType: CONTENT_TYPE,
        size: bytes.byteLength,
        sha256: sha256Hex(bytes),
        ...extra,
      });

    async function expectAbsent(k: string): Promise<void> {
      expect(await cache.head(k)).toBeUndefined();
      expect(await cache.get(k)).toBeUndefined();
    }

    async function expectWriteError(
      promise: Promise<unknown>,
      reason: CacheWriteError["reason"],
    ): Promise<void> {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CacheWriteError);
      expect((error as CacheWriteError).reason).toBe(reason);
    }

    it("head and get of a missing key are undefined", async () => {
      await expectAbsent(key());
    });

    it("put, head and get round-trip bytes and metadata", async () => {
      const k = key();
      const bytes = pseudoRandom(300_000, 1);
      const before = Date.now();
      const stored = await put(k, bytes);
      expect(stored.key).toBe(k);
      expect(stored.size).toBe(bytes.byteLength);
      expect(stored.etag).toMatch(/^"[^"]+"$/);
      expect(stored.contentType).toBe(CONTENT_TYPE);
      expect(stored.lastModified).toBeInstanceOf(Date);
      // Stores keep whole seconds; allow for that and some clock skew.
      expect(stored.lastModified.getTime()).toBeGreaterThan(before - 5_000);
      if (stored.sha256 !== undefined) expect(stored.sha256).toBe(sha256Hex(bytes));

      const head = await cache.head(k);
      expect(head).toMatchObject({ key: k, size: bytes.byteLength, etag: stored.etag });
      const read = await cache.get(k);
      expect(read?.object).toMatchObject({ key: k, size: bytes.byteLength, etag: stored.etag });
      expect(equalBytes(await readAll(read?.body), bytes)).toBe(true);
    });

    it("stores an empty object", async () => {
      const k = key();
      const stored = await put(k, new Uint8Array(0));
      expect(stored.size).toBe(0);
      expect((await readAll((await cache.get(k))?.body)).byteLength).toBe(0);
    });

    it("serves byte ranges: first byte, last byte, middle, whole", async () => {
      const k = key();
      const bytes = pseudoRandom(200_003, 2);
      await put(k, bytes);
      const last = bytes.byteLength - 1;
      for (const [start, end] of [
        [0, 0],
        [last, last],
        [1000, 70_000],
        [0, last],
      ] as const) {
        const read = await cache.get(k, { start, end });
        expect(read?.object.size).toBe(bytes.byteLength);
        const got = await readAll(read?.body);
        expect(got.byteLength).toBe(end - start + 1);
        expect(equalBytes(got, bytes.subarray(start, end + 1))).toBe(true);
      }
    });

    it("rejects a body shorter than size (size-mismatch) and stores nothing", async () => {
      const k = key();
      const bytes = pseudoRandom(50_000, 3);
      await expectWriteError(put(k, bytes, { size: 50_001, sha256: undefined }), "size-mismatch");
      await expectAbsent(k);
    });

    it("rejects a body longer than size without reading it all, and cancels it", async () => {
      const k = key();
      const source = endlessSource();
      await expectWriteError(
        cache.put(k, source.stream, { contentType: CONTENT_TYPE, size: 100_000 }),
        "size-mismatch",
      );
      expect(source.cancelled()).toBe(true);
      expect(source.pulled()).toBeLessThan(100);
      await expectAbsent(k);
    });

    it("rejects a sha256 mismatch and stores nothing", async () => {
      const k = key();
      const bytes = pseudoRandom(70_000, 4);
      await expectWriteError(put(k, bytes, { sha256: "0".repeat(64) }), "sha256-mismatch");
      await expectAbsent(k);
    });

    it("rejects a source that errors midway (source-failed) and stores nothing", async () => {
      const k = key();
      const bytes = pseudoRandom(100_000, 5);
      const stream = failingAfter(bytes, 40_000, new Error("origin reset"));
      await expectWriteError(
        cache.put(k, stream, { contentType: CONTENT_TYPE, size: bytes.byteLength }),
        "source-failed",
      );
      await expectAbsent(k);
    });

    it("rejects an abort midway (aborted), cancels the source and stores nothing", async () => {
      const k = key();
      const source = endlessSource(5);
      const abort = new AbortController();
      const pending = cache.put(k, source.stream, {
        contentType: CONTENT_TYPE,
        signal: abort.signal,
      });
      await until(() => source.pulled() >= 3);
      abort.abort(new Error("client went away"));
      await expectWriteError(pending, "aborted");
      await until(() => source.cancelled());
      await expectAbsent(k);
    });

    it("rejects an already aborted signal and stores nothing", async () => {
      const k = key();
      const abort = new AbortController();
      abort.abort();
      await expectWriteError(put(k, pseudoRandom(1000, 6), { signal: abort.signal }), "aborted");
      await expectAbsent(k);
    });

    it("a failed put leaves an existing object under the key intact", async () => {
      const k = key();
      const bytes = pseudoRandom(60_000, 7);
      await put(k, bytes);
      await expectWriteError(
        put(k, pseudoRandom(60_000, 8), { sha256: "1".repeat(64) }),
        "sha256-mismatch",
      );
      expect(equalBytes(await readAll((await cache.get(k))?.body), bytes)).toBe(true);
    });

    it("overwrites a key with the same content", async () => {
      const k = key();
      const bytes = pseudoRandom(80_000, 9);
      const first = await put(k, bytes);
      const second = await put(k, bytes);
      expect(second.size).toBe(first.size);
      expect(second.etag).toBe(first.etag);
      expect(equalBytes(await readAll((await cache.get(k))?.body), bytes)).toBe(true);
    });

    it("concurrent puts of one key end with one complete object", async () => {
      const k = key();
      const bytes = pseudoRandom(500_000, 10);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          cache.put(k, streamOf(bytes, 16 * 1024, true), {
            contentType: CONTENT_TYPE,
            size: bytes.byteLength,
            sha256: sha256Hex(bytes),
          }),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
      const head = await cache.head(k);
      expect(head?.size).toBe(bytes.byteLength);
      expect(equalBytes(await readAll((await cache.get(k))?.body), bytes)).toBe(true);
    });

    it("deletes; deleting a missing key is fine", async () => {
      const k = key();
      await put(k, pseudoRandom(1000, 11));
      await cache.delete(k);
      await expectAbsent(k);
      await cache.delete(k);
    });

    it("streams a multi-MiB object (20 MiB or more) in and out without holding it in memory", {
      timeout: 120_000,
    }, async () => {
      const k = key();
      // At least 20 MiB, and twice what the adapter may hold, so that holding it all would show.
      const limit = (subject.writeBufferBytes ?? 0) + MEMORY_SLACK;
      const size = Math.max(20 * MiB, Math.ceil((2 * limit) / MiB) * MiB);
      const expected = generatedSha256(size, 12);
      // Retained buffer memory, measured after a forced GC every 2 MiB: garbage chunks would
      // otherwise make a streaming adapter look like a buffering one.
      const gc = forcedGc();
      let peak = 0;
      let sinceSample = 0;
      gc?.();
      // Freed backing stores are swept asynchronously: let that finish before the baseline.
      await new Promise((r) => setTimeout(r, 50));
      gc?.();
      const base = process.memoryUsage().arrayBuffers;
      const sample = (bytes: number) => {
        sinceSample += bytes;
        if (gc === undefined || sinceSample < 2 * MiB) return;
        sinceSample = 0;
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      };
      const stored = await cache.put(k, generatedStream(size, 12, sample), {
        contentType: CONTENT_TYPE,
        size,
        sha256: expected,
      });
      expect(stored.size).toBe(size);
      const read = await cache.get(k);
      const hash = createSha256();
      let length = 0;
      if (read === undefined) throw new Error(`${k} missing right after put`);
      const reader = read.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        length += value.byteLength;
        sample(value.byteLength);
      }
      expect(length).toBe(size);
      expect(hash.digestHex()).toBe(expected);
      if (!subject.buffersObjects) expect(peak).toBeLessThan(limit);
    });
  });
}

// --- helpers (exported for adapter-specific tests) ---

/** V8's gc(), enabled at run time (no --expose-gc needed); undefined off Node. */
function forcedGc(): (() => void) | undefined {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process?.getBuiltinModule;
  const v8 = getBuiltin?.("node:v8") as typeof import("node:v8") | undefined;
  const vm = getBuiltin?.("node:vm") as typeof import("node:vm") | undefined;
  if (v8 === undefined || vm === undefined) return undefined;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

export function hex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

export function sha256Hex(bytes: Uint8Array): string {
  const h = createSha256();
  h.update(bytes);
  return h.digestHex();
}

/** Deterministic bytes (xorshift32), so tests can regenerate what they stored. */
export function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** sha256 of `size` bytes of seeded 64 KiB blocks (what generatedStream yields). */
function generatedSha256(size: number, seed: number): string {
  const hash = createSha256();
  for (let offset = 0, i = 0; offset < size; offset += 64 * 1024, i++) {
    hash.update(pseudoRandom(Math.min(64 * 1024, size - offset), seed + i));
  }
  return hash.digestHex();
}

/** The same bytes as `generated`, produced one block per pull. */
function generatedStream(
  size: number,
  seed: number,
  onPull: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        onPull(64 * 1024);
        if (offset >= size) {
          controller.close();
          return;
        }
        const block = pseudoRandom(Math.min(64 * 1024, size - offset), seed + i++);
        offset += block.byteLength;
        controller.enqueue(block);
      },
    },
    { highWaterMark: 0 },
  );
}

export function streamOf(
  bytes: Uint8Array,
  chunk: number,
  yieldBetween = false,
): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (yieldBetween) await new Promise((r) => setTimeout(r, 0));
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(offset, offset + chunk));
        offset += chunk;
      },
    },
    { highWaterMark: 0 },
  );
}

function failingAfter(bytes: Uint8Array, after: number, error: Error): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= after) {
          controller.error(error);
          return;
        }
        controller.enqueue(bytes.slice(offset, Math.min(after, offset + 8192)));
        offset += 8192;
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A source that never ends: 16 KiB per pull, then (if `stallAfter`) it stops producing until
 * cancelled. Reports how often it was pulled and whether it was cancelled.
 */
function endlessSource(stallAfter?: number) {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        pulls++;
        if (stallAfter !== undefined && pulls > stallAfter) {
          const giveUp = Date.now() + 30_000;
          await new Promise<void>((resolve) => {
            const poll = setInterval(() => {
              if (cancelled || Date.now() > giveUp) {
                clearInterval(poll);
                resolve();
              }
            }, 5);
          });
          return;
        }
        controller.enqueue(new Uint8Array(16 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulls, cancelled: () => cancelled };
}

export async function readAll(body: ReadableStream<Uint8Array> | undefined): Promise<Uint8Array> {
  if (body === undefined) throw new Error("no body");
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
