import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Cache, s3WriteBufferBytes } from "../../../shared/cache/adapters/s3.ts";
import {
  type ArtifactCache,
  CacheUnavailableError,
  CacheWriteError,
} from "../../../shared/cache/types.ts";
import { describeArtifactCacheContract } from "../../support/cache/contract.ts";
import { bytes, MiB, sha256Hex, source } from "./byte-streams.ts";
import {
  createTestBucket,
  deleteBucket,
  emptyPrefix,
  listKeys,
  listUploads,
  swiftS3Client,
} from "./s3-helpers.ts";

let client: S3Client;
let bucket: string;

beforeAll(async () => {
  client = swiftS3Client();
  bucket = await createTestBucket(client, "s3-cache");
});
afterAll(async () => {
  await deleteBucket(client, bucket);
  client.destroy();
});

async function text(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function expectWriteError(promise: Promise<unknown>, reason: CacheWriteError["reason"]) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CacheWriteError);
  expect((err as CacheWriteError).reason).toBe(reason);
  return err as CacheWriteError;
}

describeArtifactCacheContract("S3 (Swift s3api)", async () => {
  const prefix = "contract/";
  return {
    cache: createS3Cache({ client, bucket, prefix }),
    // Parts in flight and being filled: 32 MiB with the defaults, whatever the object's size.
    writeBufferBytes: s3WriteBufferBytes(),
    cleanup: async () => {
      expect(await listUploads(client, bucket)).toEqual([]);
      await emptyPrefix(client, bucket, prefix);
    },
  };
});

describe("S3 cache on Swift's s3api: S3 specifics", () => {
  let cache: ArtifactCache;
  const prefix = "specific/";
  beforeAll(() => {
    cache = createS3Cache({ client, bucket, prefix });
  });

  it("stores under the prefix, with sha256 and content type as metadata", async () => {
    const data = bytes(1000, 3);
    const sha = sha256Hex(data);
    await cache.put("artifacts/img/small", source(data).stream, { contentType: "text/plain" });
    const raw = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}artifacts/img/small` }),
    );
    expect(raw.Metadata).toEqual({ sha256: sha });
    expect(raw.ContentType).toBe("text/plain");
    const head = await cache.head("artifacts/img/small");
    expect(head).toMatchObject({ size: 1000, sha256: sha, etag: `"${sha}"` });
  });

  it("sends an object larger than 16 MiB as a multipart upload, verified", async () => {
    const data = bytes(17 * MiB + 3, 5);
    const sha = sha256Hex(data);
    const stored = await cache.put("artifacts/img/big", source(data, { chunkSize: MiB }).stream, {
      contentType: "application/octet-stream",
      size: data.byteLength,
      sha256: sha,
    });
    expect(stored).toMatchObject({ size: data.byteLength, sha256: sha, etag: `"${sha}"` });
    // S3's own ETag of a multipart object ends in -<parts>: 17 MiB in 8 MiB parts is three.
    const raw = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}artifacts/img/big` }),
    );
    expect(raw.ETag).toMatch(/-3"$/);
    const read = await cache.get("artifacts/img/big");
    expect(sha256Hex(await text(read?.body ?? new ReadableStream()))).toBe(sha);
    const range = await cache.get("artifacts/img/big", { start: 8 * MiB - 2, end: 8 * MiB + 1 });
    expect(range?.object.size).toBe(data.byteLength);
    expect(await text(range?.body ?? new ReadableStream())).toEqual(
      data.subarray(8 * MiB - 2, 8 * MiB + 2),
    );
    expect(await listUploads(client, bucket)).toEqual([]);
  });

  it("knows the sha256 of a single-part object written without one", async () => {
    const data = bytes(3 * MiB, 7);
    const stored = await cache.put("artifacts/img/nosha", source(data).stream, {
      contentType: "application/octet-stream",
    });
    expect(stored.sha256).toBe(sha256Hex(data));
    expect(stored.etag).toBe(`"${sha256Hex(data)}"`);
  });

  it("keeps S3's ETag for a multipart object written without a sha256", async () => {
    const data = bytes(9 * MiB, 8);
    const stored = await cache.put("artifacts/img/mp-nosha", source(data).stream, {
      contentType: "application/octet-stream",
    });
    expect(stored.sha256).toBeUndefined();
    expect(stored.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(await cache.head("artifacts/img/mp-nosha")).toEqual(stored);
  });

  describe("failed writes leave no object and no multipart upload", () => {
    const cases: {
      name: string;
      key: string;
      length: number;
      run: (key: string, data: Uint8Array) => Promise<unknown>;
      reason: CacheWriteError["reason"];
    }[] = [
      {
        name: "sha256 mismatch after several parts",
        key: "artifacts/fail/sha-mp",
        length: 20 * MiB,
        reason: "sha256-mismatch",
        run: (key, data) =>
          cache.put(key, source(data, { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            size: data.byteLength,
            sha256: "0".repeat(64),
          }),
      },
      {
        // Exactly two full parts: the last byte completes a part; only the check stops it.
        name: "sha256 mismatch on a part boundary",
        key: "artifacts/fail/sha-boundary",
        length: 16 * MiB,
        reason: "sha256-mismatch",
        run: (key, data) =>
          cache.put(key, source(data, { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            sha256: "1".repeat(64),
          }),
      },
      {
        name: "sha256 mismatch, single part",
        key: "artifacts/fail/sha-small",
        length: 4096,
        reason: "sha256-mismatch",
        run: (key, data) =>
          cache.put(key, source(data).stream, {
            contentType: "application/octet-stream",
            sha256: "2".repeat(64),
          }),
      },
      {
        name: "source longer than the declared size",
        key: "artifacts/fail/too-long",
        length: 18 * MiB,
        reason: "size-mismatch",
        run: (key, data) =>
          cache.put(key, source(data, { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            size: 17 * MiB,
          }),
      },
      {
        name: "source shorter than the declared size",
        key: "artifacts/fail/too-short",
        length: 17 * MiB,
        reason: "size-mismatch",
        run: (key, data) =>
          cache.put(key, source(data, { chunkSize: MiB }).stream, {
            contentType: "application/octet-stream",
            size: 17 * MiB + 1,
          }),
      },
      {
        name: "source error after two parts",
        key: "artifacts/fail/source",
        length: 20 * MiB,
        reason: "source-failed",
        run: (key, data) =>
          cache.put(key, source(data, { chunkSize: MiB, failAt: 17 * MiB }).stream, {
            contentType: "application/octet-stream",
          }),
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        await expectWriteError(c.run(c.key, bytes(c.length, 11)), c.reason);
        expect(await cache.head(c.key)).toBeUndefined();
        expect(await listKeys(client, bucket, prefix + c.key)).toEqual([]);
        expect(await listUploads(client, bucket)).toEqual([]);
      });
    }

    it("abort while the source stalls mid-upload", async () => {
      const data = bytes(30 * MiB, 12);
      const controller = new AbortController();
      const src = source(data, { chunkSize: MiB, stallAt: 18 * MiB });
      const put = cache.put("artifacts/fail/abort", src.stream, {
        contentType: "application/octet-stream",
        signal: controller.signal,
      });
      while (src.delivered() < 18 * MiB) await new Promise((r) => setTimeout(r, 20));
      // Let the first parts reach Swift so there is a multipart upload to abort.
      await new Promise((r) => setTimeout(r, 300));
      expect(await listUploads(client, bucket)).toHaveLength(1);
      controller.abort(new Error("client went away"));
      await expectWriteError(put, "aborted");
      await expect(src.cancelled).resolves.toBeInstanceOf(CacheWriteError);
      expect(await cache.head("artifacts/fail/abort")).toBeUndefined();
      expect(await listUploads(client, bucket)).toEqual([]);
    });

    it("an already-aborted signal reads nothing", async () => {
      const src = source(bytes(100));
      await expectWriteError(
        cache.put("artifacts/fail/pre-aborted", src.stream, {
          contentType: "text/plain",
          signal: AbortSignal.abort(),
        }),
        "aborted",
      );
      expect(src.delivered()).toBe(0);
    });
  });

  it("reads the source no further ahead than a few parts (bounded memory)", async () => {
    // A slow bucket: each UploadPart takes 100 ms more. Track how far the source has been read
    // beyond what S3 has acknowledged: that is what the upload holds in memory.
    const slow = swiftS3Client();
    let acked = 0;
    slow.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "UploadPartCommand") return next(args);
        await new Promise((r) => setTimeout(r, 100));
        const result = await next(args);
        acked += (args.input as { Body: Uint8Array }).Body.byteLength;
        return result;
      },
      { step: "initialize", name: "slowUploadPart" },
    );
    const partSize = 8 * MiB;
    const data = bytes(80 * MiB, 13);
    let maxAhead = 0;
    const src = source(data, {
      chunkSize: MiB,
      onPull: (delivered) => {
        maxAhead = Math.max(maxAhead, delivered - acked);
      },
    });
    const stored = await createS3Cache({ client: slow, bucket, prefix }).put(
      "artifacts/img/bounded",
      src.stream,
      { contentType: "application/octet-stream" },
    );
    slow.destroy();
    expect(stored.size).toBe(data.byteLength);
    // Two parts in flight (queueSize 2) and one being filled, plus a chunk of slack.
    expect(maxAhead).toBeLessThanOrEqual(3 * partSize + MiB);
    expect(maxAhead).toBeGreaterThanOrEqual(partSize);
  });

  it("presigned GET works with plain fetch, and expires", async () => {
    const data = bytes(2048, 21);
    await cache.put("artifacts/img/presigned", source(data).stream, {
      contentType: "application/octet-stream",
    });
    const url = await cache.presignGet?.("artifacts/img/presigned", 2);
    expect(url).toBeDefined();
    const ok = await fetch(url as string);
    expect(ok.status).toBe(200);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(data);
    const ranged = await fetch(url as string, { headers: { Range: "bytes=10-19" } });
    expect(ranged.status).toBe(206);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(data.subarray(10, 20));
    await new Promise((r) => setTimeout(r, 3_100));
    const expired = await fetch(url as string);
    expect(expired.status).toBe(403);
    await expired.body?.cancel();
  });

  describe("an unreachable endpoint", () => {
    // A port nothing listens on: connection refused.
    const dead = createS3Cache({ client: swiftS3Client("http://127.0.0.1:9"), bucket: "b" });
    it("head and get reject with CacheUnavailableError", async () => {
      await expect(dead.head("artifacts/x")).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(dead.get("artifacts/x")).rejects.toBeInstanceOf(CacheUnavailableError);
    });
    it("put rejects with a backend CacheWriteError caused by CacheUnavailableError", async () => {
      const err = await expectWriteError(
        dead.put("artifacts/x", source(bytes(10)).stream, { contentType: "text/plain" }),
        "backend",
      );
      expect(err.cause).toBeInstanceOf(CacheUnavailableError);
    });
  });

  it("a 5xx answer is CacheUnavailableError", async () => {
    const server = (await import("node:http")).createServer((_req, res) => {
      res.writeHead(503, { "content-type": "application/xml" });
      res.end("<Error><Code>SlowDown</Code><Message>slow down</Message></Error>");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const busy = createS3Cache({
        client: swiftS3Client(`http://127.0.0.1:${port}`),
        bucket,
      });
      await expect(busy.head("artifacts/x")).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(busy.get("artifacts/x")).rejects.toBeInstanceOf(CacheUnavailableError);
    } finally {
      server.close();
    }
  });
});
