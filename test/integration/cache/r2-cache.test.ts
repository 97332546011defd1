/**
 * The R2 adapter inside workerd (miniflare, R2 binding on miniflare's R2 simulator), driven over
 * HTTP through test/support/r2-worker: the shared contract, then R2 specifics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createR2Cache } from "../../../shared/cache/adapters/r2.ts";
import { CacheWriteError } from "../../../shared/cache/types.ts";
import { describeArtifactCacheContract } from "../../support/cache/contract.ts";
import { bytes, MiB, sha256Hex, source } from "./byte-streams.ts";
import { type R2Worker, startR2Worker } from "./r2-harness.ts";

describeArtifactCacheContract("R2 (workerd via miniflare)", async () => {
  const worker = await startR2Worker();
  return { cache: worker.cache, cleanup: () => worker.dispose() };
});

async function readAll(stream: ReadableStream<Uint8Array> | undefined): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function writeError(promise: Promise<unknown>): Promise<CacheWriteError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CacheWriteError);
  return err as CacheWriteError;
}

describe("R2 cache in workerd: R2 specifics", () => {
  let worker: R2Worker;
  beforeAll(async () => {
    worker = await startR2Worker();
  }, 60_000);
  afterAll(async () => {
    await worker?.dispose();
  });

  /** The uploads started for `key`, once the worker has settled them. */
  const uploadsOf = async (key: string) => (await worker.uploads()).filter((u) => u.key === key);

  it("has no presignGet: the binding cannot sign URLs", () => {
    const cache = createR2Cache({} as Parameters<typeof createR2Cache>[0]);
    expect(cache.presignGet).toBeUndefined();
  });

  it("writes an object of one part or less with a single put, sha256 known", async () => {
    const data = bytes(8 * MiB, 2);
    const stored = await worker.cache.put(
      "artifacts/r2/one-part",
      source(data, { chunkSize: MiB }).stream,
      {
        contentType: "application/x-test",
      },
    );
    expect(stored).toMatchObject({
      size: data.byteLength,
      sha256: sha256Hex(data),
      etag: `"${sha256Hex(data)}"`,
      contentType: "application/x-test",
    });
    expect(await uploadsOf("artifacts/r2/one-part")).toEqual([]);
  });

  it("writes a larger object as a completed multipart upload of 8 MiB parts", async () => {
    const data = bytes(17 * MiB + 5, 3);
    const sha = sha256Hex(data);
    const stored = await worker.cache.put(
      "artifacts/r2/multi",
      source(data, { chunkSize: MiB }).stream,
      {
        contentType: "application/octet-stream",
        size: data.byteLength,
        sha256: sha,
      },
    );
    expect(stored).toMatchObject({ size: data.byteLength, sha256: sha, etag: `"${sha}"` });
    const [upload, ...more] = await uploadsOf("artifacts/r2/multi");
    expect(more).toEqual([]);
    // R2 wants every part but the last of one size.
    expect(upload).toMatchObject({
      parts: 3,
      partSizes: [8 * MiB, 8 * MiB, MiB + 5],
      state: "completed",
    });
    const range = await worker.cache.get("artifacts/r2/multi", {
      start: 8 * MiB - 1,
      end: 16 * MiB,
    });
    expect(range?.object.size).toBe(data.byteLength);
    expect(await readAll(range?.body)).toEqual(data.subarray(8 * MiB - 1, 16 * MiB + 1));
  });

  it("keeps R2's ETag for a multipart object written without a sha256", async () => {
    const data = bytes(9 * MiB, 4);
    const stored = await worker.cache.put(
      "artifacts/r2/nosha",
      source(data, { chunkSize: MiB }).stream,
      {
        contentType: "application/octet-stream",
      },
    );
    expect(stored.sha256).toBeUndefined();
    expect(stored.etag).toMatch(/^"[0-9a-f]+-2"$/);
    expect(await worker.cache.head("artifacts/r2/nosha")).toEqual(stored);
  });

  describe("a failed multipart write aborts its upload and leaves no object", () => {
    const cases: {
      name: string;
      key: string;
      reason: CacheWriteError["reason"];
      put: (key: string) => Promise<unknown>;
    }[] = [
      {
        name: "sha256 mismatch found at the end, after two full parts",
        key: "artifacts/r2/fail-sha",
        reason: "sha256-mismatch",
        put: (key) =>
          worker.cache.put(key, source(bytes(20 * MiB, 5), { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            sha256: "0".repeat(64),
          }),
      },
      {
        name: "sha256 mismatch when the last byte fills the last part",
        key: "artifacts/r2/fail-boundary",
        reason: "sha256-mismatch",
        put: (key) =>
          worker.cache.put(key, source(bytes(16 * MiB, 6), { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            size: 16 * MiB,
            sha256: "1".repeat(64),
          }),
      },
      {
        name: "source longer than the declared size",
        key: "artifacts/r2/fail-long",
        reason: "size-mismatch",
        put: (key) =>
          worker.cache.put(key, source(bytes(20 * MiB, 7), { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            size: 18 * MiB,
          }),
      },
      {
        name: "source error after a part",
        key: "artifacts/r2/fail-source",
        // Seen from the worker, a request body that breaks off is the source failing.
        reason: "source-failed",
        put: (key) =>
          worker.cache.put(
            key,
            source(bytes(20 * MiB, 8), { chunkSize: MiB, failAt: 12 * MiB }).stream,
            {
              contentType: "application/octet-stream",
            },
          ),
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const err = await writeError(c.put(c.key));
        if (c.reason === "source-failed") {
          // The client's own request fails with the source; the worker's view is the same.
          expect(["source-failed", "aborted"]).toContain(err.reason);
        } else {
          expect(err.reason).toBe(c.reason);
        }
        await expect
          .poll(async () => (await uploadsOf(c.key)).map((u) => u.state), { timeout: 10_000 })
          .toEqual(["aborted"]);
        const [upload] = await uploadsOf(c.key);
        expect(upload?.parts).toBeGreaterThanOrEqual(1);
        expect(await worker.acceptsParts(c.key, upload?.uploadId ?? "")).toBe(false);
        expect(await worker.cache.head(c.key)).toBeUndefined();
      });
    }

    it("the client goes away mid-upload", async () => {
      const key = "artifacts/r2/fail-abort";
      const controller = new AbortController();
      const src = source(bytes(30 * MiB, 9), { chunkSize: MiB, stallAt: 12 * MiB });
      const failed = writeError(
        worker.cache.put(key, src.stream, {
          contentType: "application/octet-stream",
          signal: controller.signal,
        }),
      );
      // One 8 MiB part is up; the source stalls 4 MiB into the second.
      await expect
        .poll(async () => (await uploadsOf(key))[0]?.parts ?? 0, { timeout: 20_000 })
        .toBe(1);
      controller.abort(new Error("client went away"));
      expect((await failed).reason).toBe("aborted");
      await expect
        .poll(async () => (await uploadsOf(key)).map((u) => u.state), { timeout: 10_000 })
        .toEqual(["aborted"]);
      expect(await worker.cache.head(key)).toBeUndefined();
    });
  });
});
