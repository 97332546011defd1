import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import {
  artifactCacheKey,
  artifactContentId,
  artifactFileName,
  signArtifactUrl,
} from "../shared/artifacts/index.ts";
import { FsCache, READ_CHUNK_BYTES } from "../shared/cache/adapters/fs.ts";
import { parseConfig } from "../shared/config/index.ts";
import { createApp } from "../shared/http/index.ts";
import { createJsonLogger } from "../shared/log/index.ts";
import { type Image, imageSchema } from "../shared/model/index.ts";
import { MemoryStore } from "../test/support/store/index.ts";
import type { BenchResult } from "./result.ts";

/**
 * The artifact route's cost against the plainest alternative, measured in one run:
 *
 * - throughput of a 1 GiB cache hit through swiftboot's route (signature check, image lookup,
 *   local-directory cache, hono on node:http) vs a bare node:http server piping the same file
 *   (`fs.createReadStream(file).pipe(res)`, same 256 KiB reads); target ratio >= 0.8;
 * - peak RSS above idle of the serving process while 1 GiB goes through the route: a hit, and a
 *   fill (origin -> tee -> client + cache); target < 64 MiB each.
 *
 * Both servers run in one child process (this file with `--child`), which the parent downloads
 * from, sampling the child's VmRSS in /proc every 10 ms. Rounds alternate route and baseline;
 * the medians are reported. Run alone: `tsx bench/artifacts.ts`.
 */
const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const ROUNDS = 3;
const SIGNING_KEY = "bench-artifact-signing-key-0123456789";

interface ChildReady {
  route: string;
  baseline: string;
  origin: string;
  pid: number;
}

// ---- child: the servers ----

/** `images[0]` is the hit; `images[1]`, the fill, gets this process's origin server as origin. */
async function child(dir: string, imagesJson: string): Promise<void> {
  const images = JSON.parse(imagesJson) as Image[];
  const store = new MemoryStore();
  const cache = new FsCache(join(dir, "cache"));
  const config = parseConfig({ env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY } });
  const app = createApp({ config, store, logger: createJsonLogger({ write: () => {} }), cache });
  const route = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => route.once("listening", () => r()));

  // The baseline: the same bytes from the same directory, with nothing in between.
  const hitFile = join(dir, "cache", artifactCacheKey(images[0]?.id ?? "", contentIdOf(images[0])));
  const originFile = join(dir, "origin.bin");
  const plain = (file: string) =>
    createServer((_req, res) => {
      res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(statSync(file).size),
      });
      // Same read size as the cache adapter, so the ratio is the route's overhead alone.
      createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }).pipe(res);
    });
  const baseline = plain(hitFile);
  const origin = plain(originFile);
  await new Promise<void>((r) => baseline.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
  const [hit, fill] = images as [Image, Image];
  await store.putImage(hit);
  await store.putImage({ ...fill, origin: `http://127.0.0.1:${port(origin)}/origin.bin` });
  const ready: ChildReady = {
    route: `http://127.0.0.1:${port(route)}`,
    baseline: `http://127.0.0.1:${port(baseline)}`,
    origin: `http://127.0.0.1:${port(origin)}`,
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  // Exit with the parent.
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

function contentIdOf(image: Image | undefined): string {
  if (image === undefined) throw new Error("no image");
  return artifactContentId(image, undefined);
}

// ---- parent: data, downloads, RSS ----

/**
 * `SIZE` incompressible bytes, cheaply: one random 4 MiB buffer, each 1 MiB block stamped with
 * its index so that no two blocks are equal.
 */
function* blocks(): Generator<Uint8Array<ArrayBuffer>> {
  const pool = randomBytes(4 * MiB);
  for (let i = 0; i < SIZE / MiB; i++) {
    const block = new Uint8Array(MiB);
    block.set(pool.subarray((i % 4) * MiB, ((i % 4) + 1) * MiB));
    new DataView(block.buffer).setUint32(0, i);
    yield block;
  }
}

function blockStream(): ReadableStream<Uint8Array> {
  const source = blocks();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

/** Writes the blocks to `file`; returns their sha256. */
async function writeBlocks(file: string): Promise<string> {
  const handle = await open(file, "w");
  const hash = createHash("sha256");
  try {
    for (const block of blocks()) {
      hash.update(block);
      await handle.write(block);
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

const CURL = ["/usr/bin/curl", "/bin/curl"].find((path) => existsSync(path));

/**
 * Downloads `url` to nowhere; returns MiB/s. curl when present: a client faster than either
 * server, so the figure is the server's, not the client's.
 */
function download(url: string): Promise<{ mibPerSecond: number; bytes: number; status: number }> {
  if (CURL !== undefined) {
    return new Promise((resolve, reject) => {
      const curl = spawn(CURL, [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download} %{time_total}",
        url,
      ]);
      let out = "";
      curl.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      curl.on("error", reject);
      curl.on("exit", () => {
        const [status, bytes, seconds] = out.trim().split(" ").map(Number) as [
          number,
          number,
          number,
        ];
        resolve({ status, bytes, mibPerSecond: bytes / MiB / seconds });
      });
    });
  }
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.byteLength;
      });
      res.on("end", () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ mibPerSecond: bytes / MiB / seconds, bytes, status: res.statusCode ?? 0 });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** Runs `work` while sampling the child's RSS; returns the peak above `idle`. */
async function peakRssDuring(pid: number, work: () => Promise<unknown>): Promise<number> {
  const idle = rssBytes(pid);
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, rssBytes(pid));
  return peak - idle;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function startChild(
  dir: string,
  images: Image[],
): Promise<{ proc: ChildProcess; ready: ChildReady }> {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", dir, JSON.stringify(images)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`bench child exited with ${code}`)));
  });
  return { proc, ready: JSON.parse(first) as ChildReady };
}

export async function benchArtifacts(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), "swiftboot-bench-artifacts-"));
  let proc: ChildProcess | undefined;
  try {
    // The hit object, written through the cache as a fill would; the fill's origin file.
    const hit = imageSchema.parse({
      id: "bench-hit",
      name: "bench hit",
      swift: { object: "bench/hit.bin" },
      size: SIZE,
    });
    await new FsCache(join(dir, "cache")).put(
      artifactCacheKey(hit.id, contentIdOf(hit)),
      blockStream(),
      {
        contentType: "application/octet-stream",
        size: SIZE,
      },
    );
    const originSha = await writeBlocks(join(dir, "origin.bin"));

    // The fill's origin is the child's own plain server; the child fills in its URL.
    const fill = imageSchema.parse({
      id: "bench-fill",
      name: "bench fill",
      swift: { object: "bench/fill.bin" },
      size: SIZE,
      sha256: originSha,
    });
    const started = await startChild(dir, [hit, fill]);
    proc = started.proc;
    const { ready } = started;
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const urlOf = (image: Image) =>
      signArtifactUrl({
        baseUrl: ready.route,
        imageId: image.id,
        contentId: contentIdOf(image),
        fileName: artifactFileName(image),
        expires,
        key: SIGNING_KEY,
      });

    // Warm-up: code paths loaded, JIT warm, page cache holding the file for both servers.
    await download(`${ready.baseline}/`);
    await download(urlOf(hit));

    const routeRates: number[] = [];
    const baseRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await download(urlOf(hit));
      if (r.bytes !== SIZE || r.status !== 200) throw new Error(`route served ${r.bytes} bytes`);
      routeRates.push(r.mibPerSecond);
      baseRates.push((await download(`${ready.baseline}/`)).mibPerSecond);
    }
    const hitRss = await peakRssDuring(ready.pid, () => download(urlOf(hit)));
    let fillRate = 0;
    const fillRss = await peakRssDuring(ready.pid, async () => {
      const r = await download(urlOf(fill));
      if (r.bytes !== SIZE || r.status !== 200) throw new Error(`fill served ${r.bytes} bytes`);
      fillRate = r.mibPerSecond;
    });

    const route = median(routeRates);
    const base = median(baseRates);
    const round1 = (n: number) => Math.round(n * 10) / 10;
    return [
      {
        name: "artifact route, 1 GiB cache hit (local directory), throughput",
        value: round1(route),
        unit: "MiB/s",
        baseline: `node:http piping the same file: ${round1(base)} MiB/s`,
        ratio: Math.round((route / base) * 100) / 100,
        target: "ratio >= 0.8",
      },
      {
        name: "artifact route, peak RSS above idle serving a 1 GiB hit",
        value: round1(hitRss / MiB),
        unit: "MiB",
        target: "< 64 MiB",
      },
      {
        name: "artifact route, peak RSS above idle filling 1 GiB (origin -> client + cache)",
        value: round1(fillRss / MiB),
        unit: "MiB",
        target: "< 64 MiB",
      },
      {
        name: "artifact route, 1 GiB fill from a local origin, client throughput",
        value: round1(fillRate),
        unit: "MiB/s",
      },
    ];
  } finally {
    proc?.stdin?.end();
    if (proc !== undefined && proc.exitCode === null) {
      await new Promise((r) => proc?.once("exit", r));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3] as string, process.argv[4] as string);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchArtifacts()) {
    const ratio = r.ratio === undefined ? "" : `, ratio ${r.ratio} vs ${r.baseline}`;
    console.log(
      `${r.name}: ${r.value} ${r.unit}${ratio}${r.target ? ` (target ${r.target})` : ""}`,
    );
  }
}
