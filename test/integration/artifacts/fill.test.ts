import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageInput } from "../../../shared/model/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  artifactUrl,
  cacheKeyOf,
  download,
  filesUnder,
  random,
  SIGNING_KEY,
  sha256,
  tempCache,
  until,
} from "./helpers.ts";

/**
 * Fill on miss through the real route: DynamoDB Local for images, a real HTTP origin that can
 * misbehave, the local-directory cache, the app on a real socket.
 */
let db: TestStore;
let origin: FaultOrigin;
let cache: Awaited<ReturnType<typeof tempCache>>;
let server: TestServer;
const MiB = 1024 * 1024;

beforeAll(async () => {
  db = await createTestStore("artifacts-fill");
  origin = await startFaultOrigin();
  cache = await tempCache();
  server = await startTestServer(
    db.store,
    { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY, SWIFTBOOT_CACHE_ORIGIN_TIMEOUT_MS: "1000" },
    { cache: cache.cache },
  );
});

afterAll(async () => {
  await server?.close();
  await origin?.close();
  await cache?.remove();
});

/** An image whose origin serves `bytes` at /<id>.bin; sha256 and size recorded unless told. */
async function image(
  id: string,
  bytes: Uint8Array,
  record: { sha256?: boolean; size?: boolean } = {},
): Promise<ImageInput> {
  origin.set(`/${id}.bin`, bytes);
  const input: ImageInput = {
    id,
    name: id,
    swift: { container: "images", object: `ipa/${id}.bin` },
    origin: `${origin.url}/${id}.bin`,
    ...(record.size === false ? {} : { size: bytes.byteLength }),
    ...(record.sha256 === false ? {} : { sha256: sha256(bytes) }),
  };
  await db.store.putImage(input);
  return input;
}

const tempFiles = async () => (await filesUnder(cache.root)).filter((f) => f.endsWith(".tmp"));
const logsFor = (id: string) => server.logs().filter((l) => l.msg === "request" && l.image === id);

describe("fill on miss", () => {
  it("streams to the client while the object is written; the next request is a hit", async () => {
    const bytes = random(4 * MiB);
    const img = await image("stream", bytes);
    let release = () => {};
    origin.fault("/stream.bin", {
      kind: "pause",
      afterBytes: 2 * MiB,
      release: new Promise<void>((r) => {
        release = r;
      }),
    });
    const res = await fetch(artifactUrl(server.url, img));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.byteLength));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    while (received < MiB) {
      const { value } = await reader.read();
      chunks.push(value as Uint8Array);
      received += (value as Uint8Array).byteLength;
    }
    // The client has bytes; the cache has nothing visible yet; the origin was asked once.
    expect(await cache.cache.head(cacheKeyOf(img))).toBeUndefined();
    expect(origin.requests("/stream.bin")).toBe(1);
    release();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
    await until(async () => (await cache.cache.head(cacheKeyOf(img))) !== undefined);

    const again = await download(artifactUrl(server.url, img));
    expect(again.status).toBe(200);
    expect(sha256(again.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(origin.requests("/stream.bin")).toBe(1);
    const stored = await cache.cache.head(cacheKeyOf(img));
    expect(stored).toMatchObject({ size: bytes.byteLength, sha256: sha256(bytes) });
    expect(logsFor("stream").map((l) => l.cache)).toEqual(["fill", "hit"]);
    expect(logsFor("stream")[0]?.bytes).toBe(bytes.byteLength);
  });

  it("origin cut midway: the client's download fails, nothing is cached, the next request fills", async () => {
    const bytes = random(3 * MiB);
    const img = await image("cut", bytes);
    origin.fault("/cut.bin", { kind: "cut", afterBytes: MiB });
    const failed = await download(artifactUrl(server.url, img));
    expect(failed.status).toBe(200);
    expect(failed.ok).toBe(false);
    await until(async () =>
      server.logs().some((l) => l.msg === "artifact fill" && String(l.key).includes("/cut/")),
    );
    expect(await cache.cache.head(cacheKeyOf(img))).toBeUndefined();
    expect(await tempFiles()).toEqual([]);

    origin.fault("/cut.bin", undefined);
    const ok = await download(artifactUrl(server.url, img));
    expect(ok.ok).toBe(true);
    expect(sha256(ok.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(origin.requests("/cut.bin")).toBe(2);
  });

  it("wrong bytes (sha256 mismatch): the download fails one chunk short and nothing is cached", async () => {
    const bytes = random(2 * MiB);
    const img = await image("wrong", bytes);
    origin.fault("/wrong.bin", { kind: "wrong" });
    const failed = await download(artifactUrl(server.url, img));
    expect(failed.ok).toBe(false);
    await until(async () =>
      server.logs().some((l) => l.msg === "artifact fill" && String(l.key).includes("/wrong/")),
    );
    expect(await cache.cache.head(cacheKeyOf(img))).toBeUndefined();
    expect(await tempFiles()).toEqual([]);

    origin.fault("/wrong.bin", undefined);
    const ok = await download(artifactUrl(server.url, img));
    expect(sha256(ok.bytes as Uint8Array)).toBe(sha256(bytes));
  });

  it("requests waiting on a fill that turns out wrong get 502 + Retry-After", async () => {
    const bytes = random(2 * MiB);
    const img = await image("wrongherd", bytes);
    let release = () => {};
    origin.fault("/wrongherd.bin", {
      kind: "wrong",
      release: new Promise<void>((r) => {
        release = r;
      }),
    });
    const url = artifactUrl(server.url, img);
    const leader = download(url);
    await until(() => origin.requests("/wrongherd.bin") === 1);
    const followers = Array.from({ length: 3 }, () => download(url));
    await new Promise((r) => setTimeout(r, 200));
    release();
    expect((await leader).ok).toBe(false);
    for (const f of await Promise.all(followers)) {
      expect(f.status).toBe(502);
      expect(f.headers.get("retry-after")).toBe("5");
      expect(new TextDecoder().decode(f.bytes)).toContain("sha256-mismatch");
    }
    expect(origin.requests("/wrongherd.bin")).toBe(1);
    expect(await cache.cache.head(cacheKeyOf(img))).toBeUndefined();
  });

  it("an origin that stalls mid-body fails the fill after cache.origin_timeout_ms", async () => {
    const bytes = random(MiB);
    const img = await image("stall", bytes);
    origin.fault("/stall.bin", { kind: "stall", afterBytes: 100_000 });
    const started = Date.now();
    const failed = await download(artifactUrl(server.url, img));
    expect(failed.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await cache.cache.head(cacheKeyOf(img))).toBeUndefined();
    await until(async () => (await tempFiles()).length === 0);
  });

  it("origin errors before the body become 502 with Retry-After", async () => {
    const img = await image("status", random(1000));
    origin.fault("/status.bin", { kind: "status", status: 503 });
    const res = await download(artifactUrl(server.url, img));
    expect(res.status).toBe(502);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(new TextDecoder().decode(res.bytes)).toContain("origin failed (status)");

    // A Content-Length that contradicts the image record is refused before any byte is sent.
    const sized = await image("sized", random(1000));
    await db.store.putImage({ ...sized, size: 1001, sha256: undefined } as ImageInput);
    const mismatch = await download(
      artifactUrl(server.url, { ...sized, size: 1001, sha256: undefined }),
    );
    expect(mismatch.status).toBe(502);
    expect(new TextDecoder().decode(mismatch.bytes)).toContain("size-mismatch");

    const gone = {
      id: "unreachable",
      name: "unreachable",
      swift: { object: "x" },
      origin: "http://127.0.0.1:9/x", // discard port: nothing listens
    };
    await db.store.putImage(gone);
    const unreachable = await download(artifactUrl(server.url, gone));
    expect(unreachable.status).toBe(502);
    expect(unreachable.headers.get("retry-after")).toBe("5");
  });

  it("without a size anywhere, fills first and then serves with Content-Length", async () => {
    const bytes = random(300_000);
    const img = await image("nolength", bytes, { size: false, sha256: false });
    origin.fault("/nolength.bin", { kind: "no-length" });
    const res = await download(artifactUrl(server.url, img));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.byteLength));
    expect(sha256(res.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(logsFor("nolength")[0]?.cache).toBe("wait");
  });

  it("10 concurrent misses share one origin download and all get the right bytes", async () => {
    const bytes = random(2 * MiB);
    const img = await image("herd", bytes);
    let release = () => {};
    origin.fault("/herd.bin", {
      kind: "pause",
      afterBytes: 512 * 1024,
      release: new Promise<void>((r) => {
        release = r;
      }),
    });
    const url = artifactUrl(server.url, img);
    const downloads = Array.from({ length: 10 }, () => download(url));
    await until(() => origin.requests("/herd.bin") === 1);
    await new Promise((r) => setTimeout(r, 300)); // let the other nine arrive and wait
    release();
    const results = await Promise.all(downloads);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(sha256(r.bytes as Uint8Array)).toBe(sha256(bytes));
    }
    expect(origin.requests("/herd.bin")).toBe(1);
    const sources = logsFor("herd").map((l) => l.cache);
    expect(sources.filter((s) => s === "fill")).toHaveLength(1);
    expect(sources.filter((s) => s === "wait")).toHaveLength(9);
  });

  it("a client that disconnects mid-fill does not stop the fill", async () => {
    const bytes = random(4 * MiB);
    const img = await image("leaver", bytes);
    let release = () => {};
    origin.fault("/leaver.bin", {
      kind: "pause",
      afterBytes: MiB,
      release: new Promise<void>((r) => {
        release = r;
      }),
    });
    const abort = new AbortController();
    const res = await fetch(artifactUrl(server.url, img), { signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    await new Promise((r) => setTimeout(r, 100));
    release();
    await until(async () => (await cache.cache.head(cacheKeyOf(img))) !== undefined);
    const hit = await download(artifactUrl(server.url, img));
    expect(sha256(hit.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(origin.requests("/leaver.bin")).toBe(1);
  });

  it("a changed image gets a new URL and key; the old URL answers 410", async () => {
    const v1 = random(100_000);
    const img1 = await image("changing", v1);
    const url1 = artifactUrl(server.url, img1);
    expect(sha256((await download(url1)).bytes as Uint8Array)).toBe(sha256(v1));

    const v2 = random(120_000);
    const img2 = await image("changing", v2);
    const url2 = artifactUrl(server.url, img2);
    expect(url2).not.toBe(url1);
    expect(cacheKeyOf(img2)).not.toBe(cacheKeyOf(img1));
    const old = await download(url1);
    expect(old.status).toBe(410);
    expect(new TextDecoder().decode(old.bytes)).toContain("fetch a fresh boot script");
    expect(sha256((await download(url2)).bytes as Uint8Array)).toBe(sha256(v2));
    // The client may finish a moment before the object is renamed into place.
    await until(async () => (await cache.cache.head(cacheKeyOf(img2))) !== undefined);
    expect(await cache.cache.head(cacheKeyOf(img2))).toMatchObject({ sha256: sha256(v2) });
    expect(await cache.cache.head(cacheKeyOf(img1))).toMatchObject({ sha256: sha256(v1) });
  });
});
