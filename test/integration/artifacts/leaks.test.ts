import { readdirSync } from "node:fs";
import { request } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  artifactUrl,
  filesUnder,
  random,
  SIGNING_KEY,
  sha256,
  tempCache,
  until,
} from "./helpers.ts";

/**
 * 1,000 failing fills (origin cut midway, wrong bytes, origin 5xx) must leave nothing behind: no
 * open file descriptors (temp files, sockets), no temp files, no memory growth.
 */
let db: TestStore;
let origin: FaultOrigin;
let cache: Awaited<ReturnType<typeof tempCache>>;
let server: TestServer;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

beforeAll(async () => {
  db = await createTestStore("artifacts-leaks");
  origin = await startFaultOrigin();
  cache = await tempCache();
  server = await startTestServer(
    db.store,
    { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY, SWIFTBOOT_LOG_LEVEL: "error" },
    { cache: cache.cache },
  );
});

afterAll(async () => {
  await server?.close();
  await origin?.close();
  await cache?.remove();
});

/** One GET on its own connection; `complete` is false when the body was cut. */
function get(url: string): Promise<{ status: number; complete: boolean }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let complete = false;
      res.on("data", () => {});
      res.on("end", () => {
        complete = true;
      });
      res.on("close", () => resolve({ status: res.statusCode ?? 0, complete }));
      res.on("error", () => {});
    });
    req.on("error", () => resolve({ status: 0, complete: false }));
    req.end();
  });
}

const openFds = () => readdirSync("/proc/self/fd").length;

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("failing fills", () => {
  it("1,000 of them leave no open handles, no temp files and no memory growth", {
    timeout: 120_000,
  }, async () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    // Images per worker, so no two requests coalesce: every request is a fill of its own.
    const WORKERS = 10;
    const urls: string[][] = [];
    for (let w = 0; w < WORKERS; w++) {
      const mine: string[] = [];
      for (const kind of ["cut", "wrong", "status"] as const) {
        const id = `leak-${kind}-${w}`;
        const bytes = random(200_000);
        origin.set(`/${id}`, bytes);
        const image = {
          id,
          name: id,
          swift: { object: id },
          origin: `${origin.url}/${id}`,
          size: bytes.byteLength,
          sha256: sha256(bytes),
        };
        await db.store.putImage(image);
        origin.fault(
          `/${id}`,
          kind === "cut"
            ? { kind: "cut", afterBytes: 50_000 }
            : kind === "wrong"
              ? { kind: "wrong" }
              : { kind: "status", status: 500 },
        );
        mine.push(artifactUrl(server.url, image));
      }
      urls.push(mine);
    }

    const round = async (perWorker: number) => {
      const worker = async (w: number) => {
        for (let i = 0; i < perWorker; i++) {
          const res = await get(urls[w]?.[i % 3] as string);
          // Every outcome is a failed download: a cut body or an error status.
          expect(res.complete && res.status === 200).toBe(false);
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    };

    try {
      await round(6); // warm up: connection pools, JIT, lazily loaded modules
      await new Promise((r) => setTimeout(r, 200));
      const fdsBefore = openFds();
      // The console spy keeps every call's arguments (errors with stacks): drop them before each
      // sample, or the test measures its own spy rather than the code under test.
      quiet.mockClear();
      const memory: number[] = [retained()];
      for (let i = 0; i < 5; i++) {
        await round(20);
        quiet.mockClear();
        memory.push(retained());
      }
      await until(async () => openFds() <= fdsBefore + 2, 5_000).catch(() => {});
      expect(openFds()).toBeLessThanOrEqual(fdsBefore + 2);
      expect((await filesUnder(cache.root)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(await filesUnder(cache.root)).toEqual([]);
      // No trend: the last sample is within 8 MB of the first, and not the peak of a steady climb.
      const growth = (memory.at(-1) as number) - (memory[0] as number);
      expect(growth, `retained bytes per round: ${memory.join(", ")}`).toBeLessThan(
        8 * 1024 * 1024,
      );
      expect(origin.requests()).toBe(1060);
    } finally {
      quiet.mockRestore();
    }
  });
});
