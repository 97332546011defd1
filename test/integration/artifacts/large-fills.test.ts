import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { ImageInput } from "../../../shared/model/index.ts";
import { type FileFault, type FileOrigin, startFileOrigin } from "../../support/file-origin.ts";
import { hashFile, writePseudoRandomFile } from "../../support/large-files.ts";
import { freePort } from "../faults/helpers.ts";
import { type SpawnedServer, spawnServer, waitForListening } from "../faults/spawn-server.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import { artifactUrl, cacheKeyOf, SIGNING_KEY, until } from "./helpers.ts";

/**
 * Issue 12's proof: fills of 300 MB artifacts never take the process down. The real local server
 * (`npm start`, a child process) and the real CLI (`bin/swiftboot.mjs cache warm`, child
 * processes) fill several 300 MB artifacts one after another and at the same time from a real
 * HTTP origin that closes every connection behind the body, as `python3 -m http.server` does:
 * with Node's built-in fetch, the first such fill killed the process (nodejs/undici#5360). The
 * origin also cuts, resets, stalls, lies about the length and flips a byte mid-body. Throughout,
 * a heartbeat asks the server for `/boot.ipxe` every 200 ms and every answer must be a 200; every
 * byte a client or the cache got is checked against the file's sha256; a failed fill leaves no
 * object, no temp file and no lock. Killing the server or the CLI mid-fill leaves a temp file and
 * a lock, which the next start (or the next warm) clears.
 */
const SIZE = 300_000_000;
const MB = 1_000_000;
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LONG = 180_000;

let db: TestStore;
let origin: FileOrigin;
let root: string;
let dataDir: string;
let server: SpawnedServer;
let base: string;
let heartbeat: Heartbeat;
const files: Record<string, { path: string; sha256: string }> = {};

function image(id: string, content: string): ImageInput {
  const file = files[content] as { sha256: string };
  return {
    id,
    name: id,
    swift: { object: id },
    origin: `${origin.url}/${id}`,
    size: SIZE,
    sha256: file.sha256,
  };
}

/** Puts the image in the store and has the origin serve `content` for it, with `fault`. */
async function define(id: string, content: string, fault?: FileFault): Promise<ImageInput> {
  const img = image(id, content);
  await db.store.putImage(img);
  origin.serve(`/${id}`, (files[content] as { path: string }).path, fault);
  return img;
}

function cachePath(img: ImageInput): string {
  return join(dataDir, "cache", ...cacheKeyOf(img).split("/"));
}

/** What a failed fill must not leave: the object, a temp file, a lock. */
async function leftovers(img: ImageInput): Promise<string[]> {
  const dir = join(cachePath(img), "..");
  const inCache = existsSync(dir) ? await readdir(dir) : [];
  const locks = existsSync(join(dataDir, "locks")) ? await readdir(join(dataDir, "locks")) : [];
  const lockName = `${cacheKeyOf(img).replaceAll("/", "+")}.lock`;
  return [...inCache, ...locks.filter((name) => name.startsWith(lockName))];
}

/** Waits until `img` is stored: its data file and sidecar, and nothing else (no temp, no lock). */
async function stored(img: ImageInput): Promise<void> {
  const name = cachePath(img).split("/").at(-1) as string;
  const want = [`.${name}.meta.json`, name].join(",");
  await until(async () => (await leftovers(img)).sort().join(",") === want, 30_000);
}

/** Waits for the origin to reach `path`'s hold, failing at once if `process` ends first. */
async function reachedWhile(path: string, running: Promise<unknown>, who: string): Promise<void> {
  await Promise.race([
    origin.reached(path),
    running.then(() => {
      throw new Error(`${who} ended before its fill of ${path} got going`);
    }),
  ]);
}

interface Download {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
  sha256: string;
  /** The body arrived whole, as its Content-Length announced. */
  complete: boolean;
}

/** GETs `url` with node:http (not fetch), hashing the body as it streams. */
function download(url: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.byteLength;
      });
      res.on("error", () => {}); // a cut body: seen as `complete: false`
      res.on("close", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          sha256: hash.digest("hex"),
          complete: res.complete,
        }),
      );
    });
    req.on("error", reject);
  });
}

async function downloadImage(img: ImageInput): Promise<Download> {
  return download(artifactUrl(base, img));
}

function expectWhole(result: Download, content: string): void {
  expect(result.status).toBe(200);
  expect(result.complete).toBe(true);
  expect(result.bytes).toBe(SIZE);
  expect(result.sha256).toBe(files[content]?.sha256);
}

async function expectCached(img: ImageInput, content: string): Promise<void> {
  expect(await hashFile(cachePath(img))).toEqual({ sha256: files[content]?.sha256, size: SIZE });
}

interface Heartbeat {
  answered: () => number;
  failures: string[];
  stop(): Promise<void>;
}

/** Asks the server for `/boot.ipxe` every 200 ms, one request at a time. */
function startHeartbeat(url: string): Heartbeat {
  let stopped = false;
  let answered = 0;
  const failures: string[] = [];
  const beat = () =>
    new Promise<void>((resolve) => {
      const req = get(`${url}/boot.ipxe`, { agent: false, timeout: 15_000 }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) answered++;
          else failures.push(`HTTP ${res.statusCode} at ${new Date().toISOString()}`);
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("no answer in 15 s")));
      req.on("error", (error) => {
        failures.push(`${error.message} at ${new Date().toISOString()}`);
        resolve();
      });
    });
  const loop = (async () => {
    while (!stopped) {
      await beat();
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    answered: () => answered,
    failures,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The server process still runs (its output is the failure message otherwise). */
function expectAlive(): void {
  expect(server.child.exitCode, `the server exited:\n${server.stderr()}`).toBeNull();
}

/** The server is up and has answered every heartbeat since the last check. */
function expectServing(since: number): void {
  expectAlive();
  expect(heartbeat.failures, server.stderr()).toEqual([]);
  expect(heartbeat.answered()).toBeGreaterThan(since);
}

async function startServer(): Promise<void> {
  server = spawnServer(
    {
      SWIFTBOOT_SERVER_PORT: String(await freePort()),
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY,
      SWIFTBOOT_CACHE_ORIGIN_TIMEOUT_MS: "2000",
    },
    10 * 60_000,
  );
  base = await waitForListening(server);
  heartbeat = startHeartbeat(base);
}

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** `swiftboot cache warm <ids>` as an operator runs it, on the server's data directory. */
function warm(...ids: string[]): CliRun {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("SWIFTBOOT_")) env[name] = value;
  }
  const child = spawn(process.execPath, ["bin/swiftboot.mjs", "cache", "warm", ...ids], {
    cwd: ROOT,
    env: {
      ...env,
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY,
      SWIFTBOOT_CACHE_ORIGIN_TIMEOUT_MS: "2000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    out: string;
    err: string;
  }>((resolve) => child.once("close", (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

beforeAll(async () => {
  db = await createTestStore("large-fills");
  origin = await startFileOrigin();
  root = await mkdtemp(join(tmpdir(), "swiftboot-large-fills-"));
  dataDir = join(root, "data");
  // Four distinct 300 MB files; every artifact below is one of them under its own image id.
  await Promise.all(
    ["a", "b", "c", "d"].map(async (name, seed) => {
      const path = join(root, `${name}.bin`);
      files[name] = { path, sha256: await writePseudoRandomFile(path, SIZE, seed) };
    }),
  );
  await startServer();
}, LONG);

// Each test's artifacts go once checked: the run stays under about 3 GB of temp files.
afterEach(() => rm(join(dataDir, "cache", "artifacts"), { recursive: true, force: true }));

afterAll(async () => {
  await heartbeat?.stop();
  await server?.stop();
  await origin?.close();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}, LONG);

describe("300 MB fills through npm start", () => {
  it(
    "one after another: every byte right, the cache holds them, the server answers throughout",
    async () => {
      const since = heartbeat.answered();
      for (const [id, content] of [
        ["row-1", "a"],
        ["row-2", "b"],
      ] as const) {
        const img = await define(id, content);
        const result = await downloadImage(img);
        expectAlive();
        expectWhole(result, content);
        await stored(img);
        await expectCached(img, content);
      }
      expectServing(since);
    },
    LONG,
  );

  it(
    "at the same time, with followers of a fill in progress: one origin download each",
    async () => {
      const since = heartbeat.answered();
      const one = await define("together-1", "c");
      const two = await define("together-2", "d");
      const results = await Promise.all([
        downloadImage(one),
        downloadImage(two),
        downloadImage(one),
        downloadImage(two),
      ]);
      expectAlive();
      expectWhole(results[0] as Download, "c");
      expectWhole(results[1] as Download, "d");
      expectWhole(results[2] as Download, "c");
      expectWhole(results[3] as Download, "d");
      await stored(one);
      await stored(two);
      expect(origin.requests("/together-1")).toBe(1);
      expect(origin.requests("/together-2")).toBe(1);
      await expectCached(one, "c");
      await expectCached(two, "d");
      expectServing(since);
    },
    LONG,
  );

  it(
    "origins that cut, reset, stall, lie about the length or flip a byte fail that fill only",
    async () => {
      const since = heartbeat.answered();
      const cut = await define("cut", "a", { kind: "cut", afterBytes: 50 * MB });
      const reset = await define("reset", "b", { kind: "reset", afterBytes: 50 * MB });
      const stall = await define("stall", "c", { kind: "stall", afterBytes: 50 * MB });
      const flip = await define("flip", "d", { kind: "flip", at: SIZE - 10 * MB });
      const short = await define("short", "a", { kind: "claim", delta: 5 * MB });
      const overlong = await define("overlong", "b", { kind: "overlong", extraBytes: MB });
      const [cutR, resetR, stallR, flipR, shortR, overlongR] = await Promise.all(
        [cut, reset, stall, flip, short, overlong].map(downloadImage),
      );
      expectAlive();
      // Cut short: the client never gets a whole body, let alone a wrong one.
      for (const r of [cutR, resetR, stallR, flipR] as Download[]) {
        expect(r.status).toBe(200);
        expect(r.complete).toBe(false);
        expect(r.bytes).toBeLessThan(SIZE);
      }
      // A Content-Length that contradicts the record: refused before any byte, retry later.
      expect(shortR?.status).toBe(502);
      expect(shortR?.headers["retry-after"]).toBe("5");
      // Bytes past the announced length are not the artifact's: the artifact itself is whole.
      expectWhole(overlongR as Download, "b");
      for (const img of [cut, reset, stall, flip, short]) {
        await until(async () => (await leftovers(img)).length === 0);
      }
      await stored(overlong);
      await expectCached(overlong, "b");

      // The origin mends: the next request fills, from scratch, correctly.
      origin.serve("/cut", (files.a as { path: string }).path);
      expectWhole(await downloadImage(cut), "a");
      await stored(cut);
      await expectCached(cut, "a");
      expectServing(since);
    },
    LONG,
  );
});

describe("300 MB fills through swiftboot cache warm, beside the server", () => {
  it(
    "fills several in a row and two processes at once, every byte right; failures exit 1 cleanly",
    async () => {
      const since = heartbeat.answered();
      const w1 = await define("warm-1", "a");
      const w2 = await define("warm-2", "b");
      const w3 = await define("warm-3", "c");
      await define("warm-cut", "d", { kind: "cut", afterBytes: 50 * MB });
      await define("warm-reset", "d", { kind: "reset", afterBytes: 50 * MB });
      const [inRow, alone, faults] = await Promise.all([
        warm("warm-1", "warm-2").done,
        warm("warm-3").done,
        warm("warm-cut", "warm-reset").done,
      ]);
      expect(inRow, inRow.err).toMatchObject({ code: 0, signal: null });
      expect(inRow.out).toBe(`filled  warm-1 (${SIZE} bytes)\nfilled  warm-2 (${SIZE} bytes)\n`);
      expect(alone, alone.err).toMatchObject({ code: 0, signal: null });
      expect(alone.out).toBe(`filled  warm-3 (${SIZE} bytes)\n`);
      // Failed fills are reported; the process ends by itself, with status 1, not a crash.
      expect(faults).toMatchObject({ code: 1, signal: null });
      expect(faults.out).toMatch(/^failed {2}warm-cut: .*\nfailed {2}warm-reset: .*\n$/);
      expect(faults.err).not.toMatch(/AssertionError|at Parser|node:internal/);
      await expectCached(w1, "a");
      await expectCached(w2, "b");
      await expectCached(w3, "c");
      for (const id of ["warm-cut", "warm-reset"]) {
        expect(await leftovers(image(id, "d"))).toEqual([]);
      }
      expectServing(since);
    },
    LONG,
  );

  it(
    "shares the server's fill lock: a fill in progress is busy, with its lock's expiry",
    async () => {
      const since = heartbeat.answered();
      let release = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      const img = await define("shared", "d", {
        kind: "hold",
        afterBytes: 50 * MB,
        release: released,
      });
      const serverFill = downloadImage(img);
      serverFill.catch(() => {}); // awaited below; a refused connection must not go unhandled
      await reachedWhile("/shared", server.exited, "the server");
      const busy = await warm("shared").done;
      expect(busy.code).toBe(1);
      expect(busy.out).toMatch(
        /^busy {4}shared: being filled by process \d+ on .+; its lock expires at \d{4}-\d\d-\d\dT[\d:.]+Z \(in 15 min\) if that fill does not finish first\n$/,
      );
      expect(busy.err).toContain("1 image(s) not in the cache");
      release();
      expectWhole(await serverFill, "d");
      await stored(img);
      const after = await warm("shared").done;
      expect(after).toMatchObject({ code: 0, out: "cached  shared\n" });
      expect(origin.requests("/shared")).toBe(1);
      expectServing(since);
    },
    LONG,
  );
});

describe("after a kill mid-fill", () => {
  it(
    "a killed warm's lock is taken over at once by the next warm, which fills",
    async () => {
      let release = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      const img = await define("killed-warm", "a", {
        kind: "hold",
        afterBytes: 50 * MB,
        release: released,
      });
      const first = warm("killed-warm");
      await reachedWhile("/killed-warm", first.done, "cache warm");
      first.child.kill("SIGKILL");
      expect((await first.done).signal).toBe("SIGKILL");
      release();
      const names = await leftovers(img);
      expect(names.filter((n) => n.endsWith(".tmp"))).toHaveLength(1);
      expect(names.filter((n) => n.endsWith(".lock"))).toHaveLength(1);

      origin.serve("/killed-warm", (files.a as { path: string }).path);
      const second = await warm("killed-warm").done;
      expect(second, second.err).toMatchObject({
        code: 0,
        out: `filled  killed-warm (${SIZE} bytes)\n`,
      });
      await expectCached(img, "a");
      // The dead process's temp file is swept when the cache is opened.
      await stored(img);
    },
    LONG,
  );

  it(
    "npm start removes the temp file and lock a killed server left, then fills again",
    async () => {
      let release = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      const img = await define("killed-server", "b", {
        kind: "hold",
        afterBytes: 50 * MB,
        release: released,
      });
      const cut = downloadImage(img);
      cut.catch(() => {}); // awaited below
      await reachedWhile("/killed-server", server.exited, "the server");
      await heartbeat.stop();
      process.kill(-(server.child.pid as number), "SIGKILL");
      await server.exited;
      expect((await cut).complete).toBe(false);
      release();
      const names = await leftovers(img);
      expect(names.filter((n) => n.endsWith(".tmp"))).toHaveLength(1);
      expect(names.filter((n) => n.endsWith(".lock"))).toHaveLength(1);

      origin.serve("/killed-server", (files.b as { path: string }).path);
      await startServer();
      const line = server
        .stdout()
        .split("\n")
        .find((l) => l.includes("removed what an interrupted fill left behind"));
      expect(JSON.parse(line ?? "{}")).toMatchObject({ temp_files: 1, locks: 1 });
      expect(await leftovers(img)).toEqual([]);
      const since = heartbeat.answered();
      expectWhole(await downloadImage(img), "b");
      await stored(img);
      await expectCached(img, "b");
      expectServing(since);
    },
    LONG,
  );
});
