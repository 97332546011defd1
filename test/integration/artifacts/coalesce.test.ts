import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsCache } from "../../../shared/cache/adapters/fs.ts";
import type { FillLock } from "../../../shared/cache/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { MemoryFillLock } from "../../support/cache/memory-fill-lock.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
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

/**
 * Coalescing across instances: two apps ("instances") share one bucket (the same cache
 * directory) and one FillLock, as Lambda instances share S3 and the DynamoDB lock.
 */
let db: TestStore;
let origin: FaultOrigin;
let cache: Awaited<ReturnType<typeof tempCache>>;
const servers: TestServer[] = [];
const MiB = 1024 * 1024;

beforeAll(async () => {
  db = await createTestStore("artifacts-coalesce");
  origin = await startFaultOrigin();
  cache = await tempCache();
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await origin?.close();
  await cache?.remove();
});

async function instance(lock: FillLock, env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer(
    db.store,
    { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY, SWIFTBOOT_CACHE_FILL_POLL_MS: "50", ...env },
    { cache: new FsCache(cache.root), fillLock: lock },
  );
  servers.push(server);
  return server;
}

async function image(id: string, bytes: Uint8Array) {
  origin.set(`/${id}`, bytes);
  const input = {
    id,
    name: id,
    swift: { object: id },
    origin: `${origin.url}/${id}`,
    size: bytes.byteLength,
    sha256: sha256(bytes),
  };
  await db.store.putImage(input);
  return input;
}

const sources = (server: TestServer, id: string) =>
  server.logs().filter((l) => l.msg === "request" && l.image === id);

describe("across instances", () => {
  it("while one instance fills, another polls the bucket and serves the object once there", async () => {
    const lock = new MemoryFillLock();
    const a = await instance(lock);
    const b = await instance(lock);
    const bytes = random(2 * MiB);
    const img = await image("shared", bytes);
    let release = () => {};
    origin.fault("/shared", {
      kind: "pause",
      afterBytes: MiB,
      release: new Promise<void>((r) => {
        release = r;
      }),
    });
    const first = download(artifactUrl(a.url, img));
    await until(() => origin.requests("/shared") === 1);
    expect(lock.holder(cacheKeyOf(img))).toMatch(/^swiftboot-/);
    const second = download(artifactUrl(b.url, img));
    await new Promise((r) => setTimeout(r, 200));
    release();
    for (const r of await Promise.all([first, second])) {
      expect(r.status).toBe(200);
      expect(sha256(r.bytes as Uint8Array)).toBe(sha256(bytes));
    }
    expect(origin.requests("/shared")).toBe(1);
    expect(sources(a, "shared")[0]?.cache).toBe("fill");
    expect(sources(b, "shared")[0]?.cache).toBe("wait");
    await until(() => lock.holder(cacheKeyOf(img)) === undefined);
  });

  it("past cache.fill_wait_ms, the other instance streams from the origin without writing", async () => {
    const lock = new MemoryFillLock();
    const a = await instance(lock);
    const b = await instance(lock, { SWIFTBOOT_CACHE_FILL_WAIT_MS: "200" });
    const bytes = random(MiB);
    const img = await image("slowfill", bytes);
    origin.fault("/slowfill", { kind: "slow", chunkBytes: 64 * 1024, delayMs: 60 }); // ~1 s
    const first = download(artifactUrl(a.url, img));
    await until(() => origin.requests("/slowfill") === 1);
    const second = await download(artifactUrl(b.url, img));
    expect(second.status).toBe(200);
    expect(sha256(second.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(sources(b, "slowfill")[0]).toMatchObject({ cache: "origin", cache_note: "lock-held" });
    expect(sha256((await first).bytes as Uint8Array)).toBe(sha256(bytes));
    expect(origin.requests("/slowfill")).toBe(2);
    await until(async () => (await cache.cache.head(cacheKeyOf(img))) !== undefined);
  });

  it("a failing lock backend does not stop fills (a duplicate download beats no boot)", async () => {
    const broken: FillLock = {
      tryAcquire: async () => {
        throw new Error("DynamoDB unreachable");
      },
      release: async () => {
        throw new Error("DynamoDB unreachable");
      },
    };
    const a = await instance(broken);
    const bytes = random(100_000);
    const img = await image("nolock", bytes);
    const res = await download(artifactUrl(a.url, img));
    expect(sha256(res.bytes as Uint8Array)).toBe(sha256(bytes));
    await until(async () => (await cache.cache.head(cacheKeyOf(img))) !== undefined);
    expect(a.logs().some((l) => l.msg === "fill lock failed; filling without it")).toBe(true);
  });
});

describe("within an instance", () => {
  it("a follower that waits past cache.fill_wait_ms streams from the origin", async () => {
    const a = await instance(new MemoryFillLock(), { SWIFTBOOT_CACHE_FILL_WAIT_MS: "200" });
    const bytes = random(MiB);
    const img = await image("impatient", bytes);
    origin.fault("/impatient", { kind: "slow", chunkBytes: 64 * 1024, delayMs: 60 });
    const first = download(artifactUrl(a.url, img));
    await until(() => origin.requests("/impatient") === 1);
    const second = await download(artifactUrl(a.url, img));
    expect(sha256(second.bytes as Uint8Array)).toBe(sha256(bytes));
    expect(sha256((await first).bytes as Uint8Array)).toBe(sha256(bytes));
    const logged = sources(a, "impatient");
    expect(logged.find((l) => l.cache === "origin")?.cache_note).toBe("wait-timeout");
    expect(origin.requests("/impatient")).toBe(2);
  });
});
