import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  artifactCacheKey,
  artifactContentId,
  artifactFileName,
  signArtifactUrl,
} from "../../../shared/artifacts/index.ts";
import { parseConfig, secretsOf } from "../../../shared/config/index.ts";
import { type AppEnv, createApp } from "../../../shared/http/index.ts";
import { createMemoryLogger } from "../../../shared/log/index.ts";
import { type Image, imageSchema } from "../../../shared/model/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { MemoryCache } from "../../support/cache/memory-cache.ts";
import { fixedStore } from "../../support/store/index.ts";
import { RUNS } from "./arbitraries.ts";

/**
 * The artifact route under tampered URLs: signatures, expiries, paths, methods, ranges and
 * conditionals. Every image is already in the cache (no origin is ever reached), so no answer
 * may be a 5xx, and an answer that hands out bytes (200, 206) or confirms them (304) is only
 * given to a request that an independent oracle (HMAC recomputed here from the URL) finds
 * validly signed and unexpired. Conversely, a validly signed request for current content is
 * served. 10,000 runs in-process; a sample over a real socket.
 */
const KEY = "fuzz-artifact-route-key-0123456789";
const NOW = 1_800_000_000;
const SOCKET_RUNS = Number(process.env.FUZZ_SOCKET_RUNS ?? 300);
const ENV = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: KEY };

function bytesOf(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Served {
  image: Image;
  bytes: Uint8Array;
  contentId: string;
}

const SERVED: Served[] = [
  { id: "ipa:kernel-1.0", object: "ipa/deploy.kernel", n: 5_000 },
  { id: "r", object: "ipa/deploy.initramfs", n: 1_234 },
  { id: "Case-Id", object: "x/Vmlinuz", n: 77 },
].map(({ id, object, n }, i) => {
  const bytes = bytesOf(i, n);
  const image = imageSchema.parse({
    id,
    name: id,
    swift: { object },
    origin: `http://127.0.0.1:9/${id}`, // never reached: everything is cached
    size: n,
    sha256: sha256(bytes),
  });
  return { image, bytes, contentId: artifactContentId(image, undefined) };
});
/** Signed correctly but unknown to the store (404), or for content the image no longer has (410). */
const GHOST = imageSchema.parse({ id: "ghost", name: "ghost", swift: { object: "g" }, size: 1 });

async function filledCache(): Promise<MemoryCache> {
  const cache = new MemoryCache();
  for (const s of SERVED) {
    await cache.put(
      artifactCacheKey(s.image.id, s.contentId),
      new Response(new Uint8Array(s.bytes)).body as ReadableStream<Uint8Array>,
      {
        contentType: "application/octet-stream",
        size: s.bytes.byteLength,
        sha256: s.image.sha256 as string,
      },
    );
  }
  return cache;
}

// ---------------------------------------------------------------- the oracle

/** Independent check of a request: the HMAC recomputed from the URL as received. */
function validlySigned(method: string, url: URL, key: string, now: number): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  const parts = url.pathname.split("/");
  if (parts.length !== 6 || parts[0] !== "" || parts[1] !== "v1" || parts[2] !== "artifacts")
    return false;
  let decoded: string[];
  try {
    decoded = parts.slice(3).map((p) => decodeURIComponent(p));
  } catch {
    return false;
  }
  const [imageId, contentId, fileName] = decoded as [string, string, string];
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(imageId)) return false;
  if (!/^[0-9a-f]{32}$/.test(contentId)) return false;
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(fileName)) return false;
  const sigs = url.searchParams.getAll("sig");
  const expiries = url.searchParams.getAll("expires");
  if (sigs.length !== 1 || expiries.length !== 1) return false;
  const expires = expiries[0] as string;
  if (!/^[1-9][0-9]{0,11}$/.test(expires) || Number(expires) < now) return false;
  const canonical = `/v1/artifacts/${imageId.replaceAll(":", "%3A")}/${contentId}/${fileName}`;
  const expected = createHmac("sha256", key).update(`GET\n${expires}\n${canonical}`).digest("hex");
  return sigs[0] === expected;
}

// ---------------------------------------------------------------- requests

const target = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SERVED.map((s) => s.image)) },
  { weight: 1, arbitrary: fc.constant(GHOST) },
);
const signed = fc
  .record({
    image: target,
    lifetime: fc.integer({ min: -120, max: 600 }),
    staleContent: fc.boolean().map((b) => b && Math.random() < 0.1),
    key: fc.oneof(
      { weight: 9, arbitrary: fc.constant(KEY) },
      { weight: 1, arbitrary: fc.constant("another-key-0123456789abcdef") },
    ),
  })
  .map(
    ({ image, lifetime, staleContent, key }) =>
      new URL(
        signArtifactUrl({
          baseUrl: "http://boot.example:8080",
          imageId: image.id,
          contentId: staleContent ? "f".repeat(32) : artifactContentId(image, undefined),
          fileName: artifactFileName(image),
          expires: NOW + lifetime,
          key,
        }),
      ),
  );

type Mutation = (url: URL, pick: number, text: string) => void;
const setSig = (url: URL, value: string | undefined) => {
  const expires = url.searchParams.get("expires");
  url.search = "";
  if (expires !== null) url.searchParams.set("expires", expires);
  if (value !== undefined) url.searchParams.set("sig", value);
};
const MUTATIONS: Record<string, Mutation> = {
  "forged sig": (url, pick) => setSig(url, createHash("sha256").update(String(pick)).digest("hex")),
  "truncated sig": (url, pick) => {
    const sig = url.searchParams.get("sig");
    if (sig !== null) setSig(url, sig.slice(0, pick % 64));
  },
  "upper-case sig": (url) => {
    const sig = url.searchParams.get("sig");
    if (sig !== null) setSig(url, sig.toUpperCase());
  },
  "flipped sig digit": (url, pick) => {
    const sig = url.searchParams.get("sig");
    if (sig === null || sig.length === 0) return;
    const at = pick % sig.length;
    const digit = ((Number.parseInt(sig[at] as string, 16) + 1 + (pick % 15)) % 16).toString(16);
    setSig(url, sig.slice(0, at) + digit + sig.slice(at + 1));
  },
  "no sig": (url) => setSig(url, undefined),
  "two sigs": (url) => url.searchParams.append("sig", url.searchParams.get("sig") ?? "0"),
  "junk sig": (url, _pick, text) => setSig(url, text),
  "later expiry": (url, pick) =>
    url.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 1 + pick)),
  "earlier expiry": (url, pick) =>
    url.searchParams.set(
      "expires",
      String(Number(url.searchParams.get("expires")) - 1 - (pick % 1000)),
    ),
  "zero-padded expiry": (url) =>
    url.searchParams.set("expires", `0${url.searchParams.get("expires")}`),
  "junk expiry": (url, _pick, text) => url.searchParams.set("expires", text),
  "no expiry": (url) => url.searchParams.delete("expires"),
  "two expiries": (url) =>
    url.searchParams.append("expires", url.searchParams.get("expires") ?? "1"),
  "extra param": (url, _pick, text) => url.searchParams.append(text || "x", text),
  "case-flipped path": (url, pick) => {
    const letters = [...url.pathname].flatMap((c, i) => (/[a-zA-Z]/.test(c) && i > 14 ? [i] : []));
    if (letters.length === 0) return;
    const i = letters[pick % letters.length] as number;
    const c = url.pathname[i] as string;
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    url.pathname = url.pathname.slice(0, i) + flipped + url.pathname.slice(i + 1);
  },
  "other image": (url, pick) => {
    const parts = url.pathname.split("/");
    parts[3] = ["r", "ipa%3Akernel-1.0", "Case-Id", "ghost", "k"][pick % 5] as string;
    url.pathname = parts.join("/");
  },
  "other content": (url, pick) => {
    const parts = url.pathname.split("/");
    parts[4] = createHash("md5").update(String(pick)).digest("hex");
    url.pathname = parts.join("/");
  },
  "other file name": (url, _pick, text) => {
    const parts = url.pathname.split("/");
    parts[5] = encodeURIComponent(text || "x");
    url.pathname = parts.join("/");
  },
  "colon spelt %3a": (url) => {
    url.pathname = url.pathname.replace("%3A", "%3a");
  },
  "colon unescaped": (url) => {
    url.pathname = url.pathname.replace("%3A", ":");
  },
  "extra segment": (url) => {
    url.pathname = `${url.pathname}/x`;
  },
  "dot segment": (url) => {
    url.pathname = url.pathname.replace("/v1/artifacts/", "/v1/x/../artifacts/");
  },
  "encoded slash": (url) => {
    url.pathname = url.pathname.replace(/\/([^/]*)$/, "%2F$1");
  },
  "double slash": (url) => {
    url.pathname = url.pathname.replace("/artifacts/", "/artifacts//");
  },
  "encoded NUL": (url) => {
    url.pathname = `${url.pathname}%00`;
  },
};
const mutation = fc.constantFrom(...Object.keys(MUTATIONS));

const rangeHeader = fc.oneof(
  fc.constantFrom(
    "bytes=0-99",
    "bytes=0-0",
    "bytes=-5",
    "bytes=100-",
    "bytes=5-1",
    "bytes=0-0,2-3",
    "bytes=999999999-",
    "bytes=0-999999999",
    "items=0-1",
    "bytes=",
    "bytes=--1",
    "bytes=1-2-3",
  ),
  fc.tuple(fc.nat({ max: 6000 }), fc.nat({ max: 6000 })).map(([a, b]) => `bytes=${a}-${b}`),
  fc.string({ maxLength: 20 }),
);
/** `arb` about once in `every` requests, else absent. */
const sometimes = <T>(arb: fc.Arbitrary<T>, every: number) =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const requestArb = fc.record({
  url: signed,
  mutations: fc.array(fc.tuple(mutation, fc.nat(), fc.string({ maxLength: 12 })), { maxLength: 2 }),
  method: fc.oneof(
    { weight: 10, arbitrary: fc.constant("GET") },
    { weight: 2, arbitrary: fc.constant("HEAD") },
    { weight: 1, arbitrary: fc.constantFrom("POST", "PUT", "DELETE", "OPTIONS", "PATCH") },
  ),
  range: sometimes(rangeHeader, 3),
  ifRange: sometimes(fc.constantFrom('"x"', "Tue, 24 Nov 2026 00:00:00 GMT", "junk"), 8),
  ifNoneMatch: sometimes(fc.constantFrom("*", '"x"', "junk"), 8),
  ifModifiedSince: sometimes(
    fc.constantFrom("Tue, 24 Nov 2099 00:00:00 GMT", "Mon, 01 Jan 1990 00:00:00 GMT", "junk"),
    8,
  ),
});
type ArtifactRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function build(r: ArtifactRequest, base: string): { url: URL; init: RequestInit } {
  const url = new URL(r.url.href);
  for (const [name, pick, text] of r.mutations) MUTATIONS[name]?.(url, pick, text);
  const headers = new Headers();
  if (r.range !== undefined) headers.set("range", r.range);
  if (r.ifRange !== undefined) headers.set("if-range", r.ifRange);
  if (r.ifNoneMatch !== undefined) headers.set("if-none-match", r.ifNoneMatch);
  if (r.ifModifiedSince !== undefined) headers.set("if-modified-since", r.ifModifiedSince);
  const target = new URL(`${url.pathname}${url.search}`, base);
  return { url: target, init: { method: r.method, headers } };
}

interface Got {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

function check(r: ArtifactRequest, url: URL, res: Got, stats: Map<string, number>): void {
  const where = `${r.method} ${url.pathname}${url.search} [${r.mutations.map((m) => m[0]).join(", ")}] range=${r.range} → ${res.status}`;
  const valid = validlySigned(r.method, url, KEY, NOW);
  stats.set(
    `${valid ? "valid" : "invalid"} ${res.status}`,
    (stats.get(`${valid ? "valid" : "invalid"} ${res.status}`) ?? 0) + 1,
  );
  assert.ok(res.status < 500, where);
  const sig = url.searchParams.get("sig");
  if (sig !== null && sig.length >= 8) {
    assert.ok(
      !new TextDecoder().decode(res.bytes).includes(sig),
      `answer echoes the signature: ${where}`,
    );
  }
  const handsOut = res.status === 200 || res.status === 206 || res.status === 304;
  if (handsOut) assert.ok(valid, `served without a valid signature: ${where}`);
  if (!valid) {
    // Refused before any lookup: 401/403 (signature), 404 (not an artifact path), 405 (method).
    assert.ok([401, 403, 404, 405].includes(res.status), where);
    return;
  }
  const served = SERVED.find((s) => url.pathname.includes(`/${s.contentId}/`));
  if (served === undefined || !decodeURIComponent(url.pathname).includes(`/${served.image.id}/`)) {
    assert.ok([404, 410].includes(res.status), where); // unknown image, or stale content
    return;
  }
  assert.ok([200, 206, 304, 412, 416].includes(res.status), where);
  if (r.method === "GET" && res.status === 200)
    assert.equal(sha256(res.bytes), served.image.sha256, where);
  if (r.method === "GET" && res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
    assert.ok(m, `206 without a Content-Range: ${where}`);
    const [start, end] = [Number(m[1]), Number(m[2])];
    assert.deepEqual(res.bytes, served.bytes.subarray(start, end + 1), where);
  }
}

describe(`artifact route under tampered URLs, in-process (${RUNS} runs)`, () => {
  let app: Hono<AppEnv>;
  let lines: string[];

  beforeAll(async () => {
    const config = parseConfig({ env: ENV });
    const memory = createMemoryLogger({ secrets: secretsOf(config) });
    lines = memory.lines;
    app = createApp({
      config,
      store: fixedStore(
        [],
        SERVED.map((s) => s.image),
      ),
      logger: memory.logger,
      cache: await filledCache(),
      now: () => NOW * 1000,
    });
  });

  it("never 5xx; bytes only for a valid signature; a valid one is served", async () => {
    const stats = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const { url, init } = build(r, "http://boot.example:8080");
        lines.length = 0;
        const res = await app.request(new Request(url, init));
        check(
          r,
          url,
          {
            status: res.status,
            headers: res.headers,
            bytes: new Uint8Array(await res.arrayBuffer()),
          },
          stats,
        );
        assert.ok(
          !lines.some((l) => l.includes(KEY) || /sig=[0-9a-f]{16}/.test(l)),
          lines.join("\n"),
        );
      }),
      { numRuns: RUNS, endOnFailure: !!process.env.NO_SHRINK },
    );
    if (process.env.FUZZ_STATS) console.log(Object.fromEntries([...stats].sort()));
    const count = (prefix: string) =>
      [...stats].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    assert.ok(count("valid 2") > RUNS * 0.05, "too few served");
    assert.ok(count("invalid") > RUNS * 0.3, "too few refused");
  }, 600_000);
});

describe(`artifact route under tampered URLs, over a socket (${SOCKET_RUNS} runs)`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      fixedStore(
        [],
        SERVED.map((s) => s.image),
      ),
      ENV,
      {
        cache: await filledCache(),
        now: () => NOW * 1000,
      },
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it("never 5xx; bytes only for a valid signature", async () => {
    const stats = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const { url, init } = build(r, server.url);
        const res = await fetch(url, init);
        check(
          r,
          url,
          {
            status: res.status,
            headers: res.headers,
            bytes: new Uint8Array(await res.arrayBuffer()),
          },
          stats,
        );
      }),
      { numRuns: SOCKET_RUNS, endOnFailure: true },
    );
    expect(server.logs().filter((l) => l.level === "error")).toEqual([]);
    expect(server.rawLogs.join("\n")).not.toMatch(/sig=[0-9a-f]{16}/);
  }, 300_000);
});
