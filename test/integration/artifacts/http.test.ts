import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsCache } from "../../../shared/cache/adapters/fs.ts";
import { type ArtifactCache, CacheUnavailableError } from "../../../shared/cache/index.ts";
import type { ImageInput } from "../../../shared/model/index.ts";
import { downloadUrls, startTestServer, type TestServer } from "../../support/app-server.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { createTestStore, node, type TestStore } from "../store/helpers.ts";
import {
  artifactUrl,
  cacheKeyOf,
  download,
  random,
  SIGNING_KEY,
  sha256,
  tempCache,
  until,
} from "./helpers.ts";

/** The artifact route's HTTP surface: signatures, lookups, Range, conditionals, HEAD, errors. */
let db: TestStore;
let origin: FaultOrigin;
let cache: Awaited<ReturnType<typeof tempCache>>;
let server: TestServer;
const ENV = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY };
const BYTES = random(300_001);
let img: ImageInput;

beforeAll(async () => {
  db = await createTestStore("artifacts-http");
  origin = await startFaultOrigin();
  cache = await tempCache();
  server = await startTestServer(db.store, ENV, { cache: cache.cache });
  origin.set("/kernel", BYTES);
  img = {
    id: "ipa:kernel-1.0",
    name: "IPA kernel",
    swift: { container: "images", object: "ipa/deploy.kernel" },
    origin: `${origin.url}/kernel`,
    size: BYTES.byteLength,
    sha256: sha256(BYTES),
  };
  await db.store.putImage(img);
});

afterAll(async () => {
  await server?.close();
  await origin?.close();
  await cache?.remove();
});

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe("signatures", () => {
  it("refuses a missing, malformed, bad or expired signature, without echoing it", async () => {
    const url = new URL(artifactUrl(server.url, img));
    const sig = url.searchParams.get("sig") as string;
    const cases: [string, number, string][] = [
      [
        `${url.origin}${url.pathname}?expires=${url.searchParams.get("expires")}`,
        401,
        "missing signature",
      ],
      [url.href.replace(/sig=[0-9a-f]+/, "sig=xyz"), 401, "malformed signature"],
      [
        url.href.replace(/sig=([0-9a-f])/, (_, c) => `sig=${c === "0" ? "1" : "0"}`),
        403,
        "bad signature",
      ],
      [
        artifactUrl(server.url, img, { expires: Math.floor(Date.now() / 1000) - 1 }),
        401,
        "expired",
      ],
      [artifactUrl(server.url, img, { key: "another-key-0123456789abcdef" }), 403, "bad signature"],
    ];
    for (const [target, status, reason] of cases) {
      const res = await download(target);
      expect(res.status, reason).toBe(status);
      expect(text(res.bytes)).toBe(`swiftboot: ${reason}\n`);
      expect(text(res.bytes)).not.toContain(sig);
    }
    expect(origin.requests()).toBe(0);
  });

  it("a signature is only valid for its own image and content id", async () => {
    const url = new URL(artifactUrl(server.url, img));
    const otherImage = url.href.replace("/ipa%3Akernel-1.0/", "/other/");
    const contentId = url.pathname.split("/")[4] as string;
    const otherContent = url.href.replace(contentId, "0".repeat(32));
    for (const target of [otherImage, otherContent]) {
      expect((await download(target)).status).toBe(403);
    }
  });

  it("a key rotation: URLs of the previous key work until they expire, with it configured", async () => {
    const NEW_KEY = "the-rotated-in-signing-key-0123";
    // A machine fetched its script before the rotation: its URL is signed with the old key.
    const old = new URL(artifactUrl(server.url, img));
    // A cache of its own, so that the later tests still meet this image uncached.
    const own = await tempCache();
    const rotated = await startTestServer(
      db.store,
      {
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: NEW_KEY,
        SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY: SIGNING_KEY,
      },
      { cache: own.cache },
    );
    const withoutPrevious = await startTestServer(
      db.store,
      { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: NEW_KEY },
      { cache: own.cache },
    );
    try {
      const served = await download(`${rotated.url}${old.pathname}${old.search}`);
      expect(served.status).toBe(200);
      expect(sha256(served.bytes as Uint8Array)).toBe(sha256(BYTES));
      expect(rotated.logs().find((l) => l.msg === "request")).toMatchObject({
        status: 200,
        signed_with: "previous",
      });
      // New URLs are signed with the new key, and logged without `signed_with`.
      const fresh = await download(artifactUrl(rotated.url, img, { key: NEW_KEY }), {
        method: "HEAD",
      });
      expect(fresh.status).toBe(200);
      expect(rotated.logs().filter((l) => l.msg === "request")[1]).not.toHaveProperty(
        "signed_with",
      );
      // Without the previous key, the old URL is refused (the script's retry gets a new one).
      const refused = await download(`${withoutPrevious.url}${old.pathname}${old.search}`);
      expect(refused.status).toBe(403);
      // Neither key reaches a log line.
      for (const raw of [...rotated.rawLogs, ...withoutPrevious.rawLogs]) {
        expect(raw).not.toContain(SIGNING_KEY);
        expect(raw).not.toContain(NEW_KEY);
      }
    } finally {
      await rotated.close();
      await withoutPrevious.close();
      await own.remove();
    }
  });

  it("only GET and HEAD are served", async () => {
    const res = await fetch(artifactUrl(server.url, img), { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("lookups", () => {
  it("an unknown image is 404", async () => {
    const ghost = { id: "ghost", name: "ghost", swift: { object: "ghost" }, size: 1 };
    const res = await download(artifactUrl(server.url, ghost));
    expect(res.status).toBe(404);
    expect(text(res.bytes)).toContain("unknown image ghost");
  });

  it("a URL minted for content the image no longer has is 410", async () => {
    const res = await download(artifactUrl(server.url, img, { contentId: "f".repeat(32) }));
    expect(res.status).toBe(410);
  });
});

describe("serving", () => {
  it("sends the full header set on a miss and on a hit", async () => {
    const before = Math.floor(Date.now() / 1000);
    for (const expected of ["fill", "hit"]) {
      const res = await download(artifactUrl(server.url, img));
      expect(res.status).toBe(200);
      expect(sha256(res.bytes as Uint8Array)).toBe(sha256(BYTES));
      const h = res.headers;
      expect(h.get("content-length")).toBe(String(BYTES.byteLength));
      expect(h.get("content-type")).toBe("application/octet-stream");
      expect(h.get("accept-ranges")).toBe("bytes");
      expect(h.get("etag")).toBe(`"${sha256(BYTES)}"`);
      expect(Date.parse(h.get("last-modified") as string) / 1000).toBeGreaterThanOrEqual(
        before - 1,
      );
      expect(h.get("cache-control")).toMatch(/^private, max-age=(29\d|300)$/);
      expect(server.logs().at(-1)).toMatchObject({
        image: img.id,
        cache: expected,
        bytes: BYTES.byteLength,
      });
      await until(async () => (await cache.cache.head(cacheKeyOf(img))) !== undefined);
    }
  });

  it("serves single ranges with 206, refuses unsatisfiable ones with 416, ignores multi-ranges", async () => {
    const url = artifactUrl(server.url, img);
    const last = BYTES.byteLength - 1;
    for (const [header, start, end] of [
      ["bytes=0-0", 0, 0],
      [`bytes=${last}-${last}`, last, last],
      ["bytes=1000-70000", 1000, 70000],
      ["bytes=-100", last - 99, last],
      [`bytes=299000-`, 299000, last],
    ] as const) {
      const res = await download(url, { headers: { Range: header } });
      expect(res.status, header).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${BYTES.byteLength}`);
      expect(res.headers.get("content-length")).toBe(String(end - start + 1));
      expect(
        Buffer.from(res.bytes as Uint8Array).equals(Buffer.from(BYTES.subarray(start, end + 1))),
      ).toBe(true);
    }
    const bad = await download(url, { headers: { Range: `bytes=${BYTES.byteLength}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe(`bytes */${BYTES.byteLength}`);
    const multi = await download(url, { headers: { Range: "bytes=0-1,5-6" } });
    expect(multi.status).toBe(200);
    expect(multi.bytes?.byteLength).toBe(BYTES.byteLength);
    const stale = await download(url, { headers: { Range: "bytes=0-1", "If-Range": '"other"' } });
    expect(stale.status).toBe(200);
  });

  it("answers 304 to If-None-Match and If-Modified-Since", async () => {
    const url = artifactUrl(server.url, img);
    const first = await download(url);
    const etag = first.headers.get("etag") as string;
    const lastModified = first.headers.get("last-modified") as string;
    const byEtag = await download(url, { headers: { "If-None-Match": etag } });
    expect(byEtag.status).toBe(304);
    expect(byEtag.headers.get("etag")).toBe(etag);
    expect((await download(url, { headers: { "If-Modified-Since": lastModified } })).status).toBe(
      304,
    );
    const older = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await download(url, { headers: { "If-Modified-Since": older } })).status).toBe(200);
    expect((await download(url, { headers: { "If-None-Match": '"nope"' } })).status).toBe(200);
  });

  it("HEAD: headers of a hit; on a miss of known size, from the record without filling", async () => {
    const hit = await fetch(artifactUrl(server.url, img), { method: "HEAD" });
    expect(hit.status).toBe(200);
    expect(hit.headers.get("content-length")).toBe(String(BYTES.byteLength));
    expect(hit.headers.get("etag")).toBe(`"${sha256(BYTES)}"`);
    expect((await hit.arrayBuffer()).byteLength).toBe(0);

    const bytes = random(5000);
    origin.set("/headonly", bytes);
    const fresh = {
      id: "head-only",
      name: "head only",
      swift: { object: "head-only" },
      origin: `${origin.url}/headonly`,
      size: bytes.byteLength,
      sha256: sha256(bytes),
    };
    await db.store.putImage(fresh);
    const miss = await fetch(artifactUrl(server.url, fresh), { method: "HEAD" });
    expect(miss.status).toBe(200);
    expect(miss.headers.get("content-length")).toBe("5000");
    expect(origin.requests("/headonly")).toBe(0);
    expect(await cache.cache.head(cacheKeyOf(fresh))).toBeUndefined();
  });

  it("a Range request on a miss waits for the fill and is served from the cache", async () => {
    const bytes = random(1_000_000);
    origin.set("/ranged", bytes);
    origin.fault("/ranged", { kind: "slow", chunkBytes: 100_000, delayMs: 20 });
    const ranged = {
      id: "ranged",
      name: "ranged",
      swift: { object: "ranged" },
      origin: `${origin.url}/ranged`,
      size: bytes.byteLength,
      sha256: sha256(bytes),
    };
    await db.store.putImage(ranged);
    const res = await download(artifactUrl(server.url, ranged), {
      headers: { Range: "bytes=10-19" },
    });
    expect(res.status).toBe(206);
    expect(Buffer.from(res.bytes as Uint8Array).equals(Buffer.from(bytes.subarray(10, 20)))).toBe(
      true,
    );
    expect(server.logs().at(-1)).toMatchObject({ cache: "wait", bytes: 10 });
    expect(await cache.cache.head(cacheKeyOf(ranged))).toBeDefined();
    expect(origin.requests("/ranged")).toBe(1);
  });

  it("works end to end from a node's boot script", async () => {
    const ramdisk = random(70_000);
    origin.set("/ramdisk", ramdisk);
    const rd = {
      id: "ipa-ramdisk",
      name: "ramdisk",
      swift: { object: "ipa/deploy.initramfs" },
      origin: `${origin.url}/ramdisk`,
    };
    await db.store.putImage(rd);
    await db.store.putNode(
      node({
        id: "n1",
        macs: ["52:54:00:aa:bb:cc"],
        state: "deploying",
        deploy: { kernel: img.id, ramdisk: rd.id },
      }),
    );
    const script = await (await fetch(`${server.url}/boot/52-54-00-aa-bb-cc.ipxe`)).text();
    const urls = downloadUrls(script);
    expect(sha256((await download(urls.kernel)).bytes as Uint8Array)).toBe(sha256(BYTES));
    expect(sha256((await download(urls.initrd)).bytes as Uint8Array)).toBe(sha256(ramdisk));
    expect(server.rawLogs.join("\n")).not.toMatch(/sig=[0-9a-f]{64}/);
    expect(server.rawLogs.join("\n")).not.toContain(SIGNING_KEY);
  });
});

describe("degraded", () => {
  it("without a cache the route answers 503 with a reason (no Retry-After: config problem)", async () => {
    const bare = await startTestServer(db.store, ENV);
    try {
      const res = await download(artifactUrl(bare.url, img));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeNull();
      expect(text(res.bytes)).toContain("no artifact cache is configured");
    } finally {
      await bare.close();
    }
  });

  it("an unreachable cache is 503 with Retry-After", async () => {
    const down: ArtifactCache = {
      head: async () => {
        throw new CacheUnavailableError("bucket unreachable");
      },
      get: async () => {
        throw new CacheUnavailableError("bucket unreachable");
      },
      put: async () => {
        throw new CacheUnavailableError("bucket unreachable");
      },
      delete: async () => {},
    };
    const broken = await startTestServer(db.store, ENV, { cache: down });
    try {
      const res = await download(artifactUrl(broken.url, img));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(text(res.bytes)).toContain("artifact cache is unavailable");
    } finally {
      await broken.close();
    }
  });

  it("redirect mode: hits of at least redirect_min_bytes get 302 to the presigned URL", async () => {
    // A local-directory cache that can presign: a static server in front of the same directory.
    const statics = createServer((_req, res) => res.writeHead(200).end("presigned"));
    await new Promise<void>((r) => statics.listen(0, "127.0.0.1", r));
    const staticUrl = `http://127.0.0.1:${(statics.address() as AddressInfo).port}`;
    class PresigningCache extends FsCache {
      async presignGet(key: string, expiresInSeconds: number): Promise<string> {
        return `${staticUrl}/${key}?ttl=${expiresInSeconds}`;
      }
    }
    const presigning = new PresigningCache(cache.root);
    const redirecting = await startTestServer(
      db.store,
      {
        ...ENV,
        SWIFTBOOT_CACHE_REDIRECT: "true",
        SWIFTBOOT_CACHE_REDIRECT_TTL: "30",
        SWIFTBOOT_CACHE_REDIRECT_MIN_BYTES: "100000",
      },
      { cache: presigning },
    );
    try {
      await download(artifactUrl(server.url, img)); // make sure it is cached
      const res = await fetch(artifactUrl(redirecting.url, img), { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`${staticUrl}/${cacheKeyOf(img)}?ttl=30`);
      await res.arrayBuffer();

      const small = random(1000);
      origin.set("/small", small);
      const smallImg = {
        id: "small",
        name: "small",
        swift: { object: "small" },
        origin: `${origin.url}/small`,
        size: 1000,
      };
      await db.store.putImage(smallImg);
      await download(artifactUrl(redirecting.url, smallImg)); // miss: streamed, never redirected
      await until(async () => (await presigning.head(cacheKeyOf(smallImg))) !== undefined);
      const smallHit = await download(artifactUrl(redirecting.url, smallImg));
      expect(smallHit.status).toBe(200);
      expect(sha256(smallHit.bytes as Uint8Array)).toBe(sha256(small));
    } finally {
      await redirecting.close();
      await new Promise<void>((r) => statics.close(() => r()));
    }
  });
});
