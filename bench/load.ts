/**
 * Load: the real local server (`functions/local/server.ts`, i.e. `npm start`, on a DynamoDB
 * Local-backed store) under autocannon, against a minimal hono server answering a constant script
 * in the same run and the same process model (a Node child process each, hono on
 * @hono/node-server, loaded through tsx). The load generator runs in this process, so it never
 * shares an event loop with a server. Figures:
 *
 * 1. Throughput, p50/p99 latency, errors and server CPU per script (/proc) of per-node script
 *    requests, every request for a different machine (`--machines`, default 1,000 distinct MACs,
 *    rotated through autocannon's `setupRequest`), `--connections` (20) for `--duration` (10) s.
 *    Against, in the same run: bare single-item GetItems through the same SDK at the same
 *    concurrency (target: scripts/s >= 0.4x that rate, p99 <= 75 ms); a minimal hono server
 *    answering a constant script; and the same app over a store answering from memory without
 *    copying (bench/frozen-store.ts): swiftboot's own cost (target >= 0.5x the minimal server).
 *    Then store calls per script, counted at the wire by a proxy (test/support/store/counting-proxy.ts).
 * 2. Soak: `--soak-seconds` (default 60) at `--soak-connections` (default 200) against the real
 *    server, at a sustainable rate (`--soak-rate` req/s over all connections; default half the
 *    throughput just measured): errors (target 0) and the server's RSS at start, middle and end.
 *    (Unthrottled, 200 connections only measure the queue: past its capacity a store call waits
 *    longer than `store.timeout_ms` and the answer is a correct 503.)
 * 3. Constant-time lookups: p50 of per-node script requests for random nodes with `--small-nodes`
 *    (100) vs `--large-nodes` (default 10,000; the full check is `--large-nodes=100000`, whose
 *    seeding takes a few minutes on DynamoDB Local) nodes in the table, `--lookup-requests`
 *    (1,500) each, timed here per request (µs) in interleaved pairs (one node of each table in
 *    turn), so both tables see the same moments of a busy machine; target: within 10 %.
 *
 * Tables are seeded with BatchWriteItem through the raw client: one template node is written
 * through the store, its items (node, MAC claim, image usage) are read back and cloned, so the
 * seeded items have exactly the store's shapes; a sample is then read back through the store.
 *
 * Loopback only; every child process is stopped at the end. Run alone: `tsx bench/load.ts`
 * (flags as above, `--flag=value` or `--flag value`); in `npm run bench -- load --soak-seconds=10`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, get as httpGet } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import autocannon from "autocannon";
import { type DynamoDbLocal, startDynamoDbLocal } from "../functions/local/dynamodb-local.ts";
import { imageSchema, nodeSchema } from "../shared/model/index.ts";
import { createDynamoStore, ensureTable } from "../shared/store/index.ts";
import { nodeListPartition, nodeShard } from "../shared/store/table.ts";
import { startCountingProxy } from "../test/support/store/counting-proxy.ts";
import type { BenchResult } from "./result.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIGNING_KEY = "bench-load-artifact-signing-key-0123456789";

export interface LoadOptions {
  machines: number;
  connections: number;
  /** Seconds per throughput run (each server). */
  duration: number;
  soakSeconds: number;
  soakConnections: number;
  /** Requests per second over all soak connections; 0: half the measured throughput. */
  soakRate: number;
  smallNodes: number;
  largeNodes: number;
  /** Timed requests per table (in pairs, small then large or the other way round). */
  lookupRequests: number;
}

export const DEFAULT_LOAD_OPTIONS: LoadOptions = {
  machines: 1_000,
  connections: 20,
  duration: 10,
  soakSeconds: 60,
  soakConnections: 200,
  soakRate: 0,
  smallNodes: 100,
  largeNodes: 100_000,
  lookupRequests: 1_500,
};

const FLAGS: Record<string, keyof LoadOptions> = {
  "--machines": "machines",
  "--connections": "connections",
  "--duration": "duration",
  "--soak-seconds": "soakSeconds",
  "--soak-connections": "soakConnections",
  "--soak-rate": "soakRate",
  "--small-nodes": "smallNodes",
  "--large-nodes": "largeNodes",
  "--lookup-requests": "lookupRequests",
};

export function parseLoadArgs(args: readonly string[]): LoadOptions {
  const options = { ...DEFAULT_LOAD_OPTIONS };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const key = FLAGS[flag];
    if (key === undefined) continue; // suite names and other suites' flags
    const value = inline ?? args[++i];
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${flag} needs a whole number, got ${value}`);
    options[key] = n;
  }
  return options;
}

// ---------------------------------------------------------------- seeding

/** Node `i`'s MAC: 52:54 then i in four bytes (distinct for any table size here). */
export function loadMac(i: number): string {
  const hex = i.toString(16).padStart(8, "0");
  return `52:54:${hex.match(/../g)?.join(":")}`;
}

type Item = Record<string, unknown>;

/**
 * `count` deploying nodes (`load-<i>`, MAC loadMac(i)) and their two images, as the store writes
 * them: the template's items cloned with ids, MACs and listing keys replaced.
 */
export async function seedTable(endpoint: string, table: string, count: number): Promise<string[]> {
  const store = createDynamoStore({ table, endpoint, region: "us-east-1", timeoutMs: 30_000 });
  const raw = DynamoDBDocumentClient.from(store.client);
  try {
    await ensureTable(store.client, table);
    for (const id of ["load-kernel", "load-ramdisk"]) {
      await store.putImage(
        imageSchema.parse({ id, name: id, swift: { container: "images", object: `ipa/${id}` } }),
      );
    }
    const templateId = "load-template";
    const templateMac = "52:54:ff:ff:ff:ff";
    await store.putNode(
      nodeSchema.parse({
        id: templateId,
        name: "load template",
        macs: [templateMac],
        state: "deploying",
        deploy: { kernel: "load-kernel", ramdisk: "load-ramdisk" },
        kernel_args: "console=ttyS0,115200n8 ipa-insecure=1",
      }),
    );
    const read = async (pk: string, sk: string): Promise<Item> => {
      const out = await raw.send(
        new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }),
      );
      if (out.Item === undefined)
        throw new Error(`template item ${pk} / ${sk} missing: the store's layout changed`);
      return out.Item;
    };
    const node = await read(`NODE#${templateId}`, "NODE");
    const claim = await read(`MAC#${templateMac.replaceAll(":", "")}`, "CLAIM");
    const usage = await Promise.all(
      ["load-kernel", "load-ramdisk"].map((image) =>
        read(`IMAGE#${image}`, `USEDBY#${templateId}`),
      ),
    );

    const items = function* (): Generator<Item> {
      const modified = new Date().toISOString();
      for (let i = 0; i < count; i++) {
        const id = `load-${i}`;
        const mac = loadMac(i);
        yield {
          ...node,
          pk: `NODE#${id}`,
          name: `load node ${i}`,
          macs: [mac],
          _md: modified,
          ...(typeof node.gsi1pk === "string"
            ? { gsi1pk: nodeListPartition(String(node.state), nodeShard(id)), gsi1sk: id }
            : {}),
        };
        yield {
          ...claim,
          pk: `MAC#${mac.replaceAll(":", "")}`,
          nodeId: id,
          // The node's record the claim carries (claim-snapshot-reads.ts), when it does.
          ...(typeof claim.node === "string"
            ? {
                node: JSON.stringify({
                  ...(JSON.parse(claim.node) as Item),
                  id,
                  name: `load node ${i}`,
                  macs: [mac],
                }),
              }
            : {}),
        };
        for (const u of usage) yield { ...u, sk: `USEDBY#${id}`, nodeId: id };
      }
    };
    await batchWrite(raw, table, items());

    // Read a sample back through the store: the clones must be valid records to it.
    for (const i of [0, Math.floor(count / 2), count - 1]) {
      const found = await store.findNodeByMac(loadMac(i));
      if (found?.id !== `load-${i}`) throw new Error(`seeded node load-${i} does not read back`);
    }
    return Array.from({ length: count }, (_, i) => loadMac(i));
  } finally {
    store.client.destroy();
  }
}

/** BatchWriteItem, 25 items a request, 8 requests in flight, unprocessed items retried. */
async function batchWrite(raw: DynamoDBDocumentClient, table: string, items: Iterator<Item>) {
  const take = (): Item[] => {
    const batch: Item[] = [];
    for (let next = items.next(); !next.done; next = items.next()) {
      batch.push(next.value);
      if (batch.length === 25) break;
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = take(); batch.length > 0; batch = take()) {
      let pending: Item[] = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error("BatchWriteItem keeps returning unprocessed items");
        if (attempt > 0) await sleep(50 * 2 ** Math.min(attempt, 6));
        const out = await raw.send(
          new BatchWriteCommand({
            RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        pending = (out.UnprocessedItems?.[table] ?? []).map((r) => r.PutRequest?.Item as Item);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

// ---------------------------------------------------------------- servers

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/**
 * A Node child running `script` through tsx's loader (no tsx wrapper process, so `pid` is the
 * server itself), ready once GET /healthz answers. Its stdout (one JSON line per request, as in
 * production) goes to /dev/null; stderr is kept for error messages.
 */
async function startServer(
  script: string,
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<Server> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("SWIFTBOOT_")) clean[k] = v;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL");
  process.once("exit", kill);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${script} exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) {
      kill();
      throw new Error(`${script} did not answer within 60 s:\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid as number,
    stop: async () => {
      child.kill("SIGTERM");
      const forced = setTimeout(kill, 5_000);
      await exited;
      clearTimeout(forced);
      process.removeListener("exit", kill);
    },
  };
}

export async function startRealServer(
  ddb: string,
  table: string,
  dataDir: string,
  history: boolean,
): Promise<Server> {
  const port = await freePort();
  return startServer(
    "functions/local/server.ts",
    [],
    {
      SWIFTBOOT_STORE_ENDPOINT: ddb,
      SWIFTBOOT_STORE_TABLE: table,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY,
      SWIFTBOOT_SERVER_PORT: String(port),
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_LOG_LEVEL: "info",
      ...(history ? {} : { SWIFTBOOT_ADMIN_BOOT_HISTORY_DAYS: "0" }),
    },
    port,
  );
}

async function startBaselineServer(): Promise<Server> {
  const port = await freePort();
  return startServer(fileURLToPath(import.meta.url), ["--baseline-server", String(port)], {}, port);
}

async function startMemoryServer(machines: number): Promise<Server> {
  const port = await freePort();
  return startServer(
    fileURLToPath(import.meta.url),
    ["--memory-server", String(port), String(machines)],
    {},
    port,
  );
}

/**
 * The in-between figure: the same app (routes, planning, signing, request log to stdout, boot
 * history) on a store answering from memory without copying (bench/frozen-store.ts), i.e.
 * swiftboot's own cost without DynamoDB and without a fake's copies.
 */
async function memoryServer(port: number, machines: number): Promise<void> {
  const { serve } = await import("@hono/node-server");
  const { parseConfig } = await import("../shared/config/index.ts");
  const { createApp } = await import("../shared/http/index.ts");
  const { createJsonLogger } = await import("../shared/log/index.ts");
  const { FrozenBootStore } = await import("./frozen-store.ts");
  const images = ["load-kernel", "load-ramdisk"].map((id) =>
    imageSchema.parse({ id, name: id, swift: { container: "images", object: `ipa/${id}` } }),
  );
  const nodes = Array.from({ length: machines }, (_, i) =>
    nodeSchema.parse({
      id: `load-${i}`,
      name: `load node ${i}`,
      macs: [loadMac(i)],
      state: "deploying",
      deploy: { kernel: "load-kernel", ramdisk: "load-ramdisk" },
      kernel_args: "console=ttyS0,115200n8 ipa-insecure=1",
    }),
  );
  const store = new FrozenBootStore(nodes, images);
  const config = parseConfig({ env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY } });
  const { stdoutLineWriter } = await import("../functions/node/stdout-lines.ts");
  // Logged as npm start logs (functions/local/server.ts).
  const logger = createJsonLogger({ level: "info", write: stdoutLineWriter() });
  const app = createApp({ config, store, logger });
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
  process.once("SIGTERM", () => process.exit(0));
}

/** What the baseline answers to every `/boot/{file}`: a deploy script of the real one's size. */
const BASELINE_SCRIPT = [
  "#!ipxe",
  "echo swiftboot: deploy boot of node load-1 (load node 1): kernel load-kernel, ramdisk load-ramdisk (attempt 1 of 4)",
  "imgfree",
  `kernel --name kernel http://127.0.0.1:8080/v1/artifacts/load-kernel/0123456789abcdef0123456789abcdef/load-kernel?expires=1800000000&sig=${"0".repeat(64)} initrd=ramdisk BOOTIF=01-52-54-00-00-00-01 console=ttyS0,115200n8 ipa-insecure=1 || goto retry`,
  `initrd --name ramdisk http://127.0.0.1:8080/v1/artifacts/load-ramdisk/0123456789abcdef0123456789abcdef/load-ramdisk?expires=1800000000&sig=${"0".repeat(64)} || goto retry`,
  "boot || goto retry",
  ":retry",
  "echo swiftboot: download or boot failed, fetching fresh URLs in 5 s (attempt 2 of 4)",
  "sleep 5",
  "chain --autofree --replace http://127.0.0.1:8080/boot/52-54-00-00-00-01.ipxe?attempt=1 || goto fail",
  ":fail",
  "echo swiftboot: could not boot node load-1 (load node 1)",
  "exit",
  "",
].join("\n");

/** The baseline child: hono on @hono/node-server, a constant script, nothing else. */
async function baselineServer(port: number): Promise<void> {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/boot/:file", (c) =>
    c.body(BASELINE_SCRIPT, 200, {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
    }),
  );
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
  process.once("SIGTERM", () => process.exit(0));
}

// ---------------------------------------------------------------- measuring

const bootPath = (mac: string) => `/boot/${mac.replaceAll(":", "-")}.ipxe?arch=x86_64&platform=efi`;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

/** autocannon with every request for the next machine in `macs`. */
async function cannon(
  url: string,
  macs: readonly string[],
  connections: number,
  seconds: number,
  overallRate?: number,
): Promise<Run> {
  let next = 0;
  const paths = macs.map(bootPath);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    ...(overallRate === undefined ? {} : { overallRate }),
    requests: [
      {
        method: "GET",
        setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] as string }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result["2xx"] + result.non2xx,
  };
}

/** GetItems of random MAC claims per second, `concurrency` in flight, for `seconds`. */
async function getItemRate(
  endpoint: string,
  table: string,
  macs: readonly string[],
  concurrency: number,
  seconds: number,
): Promise<number> {
  const store = createDynamoStore({ table, endpoint, region: "us-east-1", timeoutMs: 10_000 });
  const raw = DynamoDBDocumentClient.from(store.client);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const mac = macs[Math.floor(Math.random() * macs.length)] as string;
        await raw.send(
          new GetCommand({
            TableName: table,
            Key: { pk: `MAC#${mac.replaceAll(":", "")}`, sk: "CLAIM" },
          }),
        );
        done++;
      }
    }),
  );
  store.client.destroy();
  return done / ((performance.now() - started) / 1000);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** cannon() plus the server's CPU per answered request, in µs. */
async function cannonWithCpu(
  server: Server,
  macs: readonly string[],
  connections: number,
  seconds: number,
): Promise<Run & { cpuUs: number }> {
  const before = cpuSeconds(server.pid);
  const run = await cannon(server.url, macs, connections, seconds);
  const cpuUs = ((cpuSeconds(server.pid) - before) * 1e6) / Math.max(1, run.requests);
  return { ...run, cpuUs: Math.round(cpuUs) };
}

/**
 * Store calls per script, counted at the wire: a real server pointed at a counting proxy in front
 * of DynamoDB Local answers `requests` scripts for distinct machines (`concurrency` at a time, so
 * boot history can batch as it does under load), then stops cleanly (flushing what history it
 * still holds); every call it made, its first (cold-cache) ones included, is divided by `requests`.
 */
async function storeCallsPerScript(
  ddbEndpoint: string,
  table: string,
  dataDir: string,
  macs: readonly string[],
  requests: number,
  concurrency: number,
): Promise<{ perScript: Record<string, number>; total: number }> {
  const proxy = await startCountingProxy(ddbEndpoint);
  try {
    const server = await startRealServer(proxy.endpoint, table, dataDir, true);
    proxy.reset(); // start-up calls (ensureTable) are not a script's
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const mac = macs[next++ % macs.length] as string;
          await timedGet(`${server.url}${bootPath(mac)}`, agent);
        }
      }),
    );
    agent.destroy();
    await server.stop();
    const counts = proxy.counts();
    const perScript: Record<string, number> = {};
    let total = 0;
    for (const [op, n] of Object.entries(counts)) {
      perScript[op] = Math.round((n / requests) * 1000) / 1000;
      total += n / requests;
    }
    return { perScript, total: Math.round(total * 1000) / 1000 };
  } finally {
    await proxy.close();
  }
}

/** One GET, timed in µs; rejects unless it is a 200. */
function timedGet(url: string, agent: Agent): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const started = process.hrtime.bigint();
    httpGet(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} for ${url}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1000);
      });
    }).on("error", reject);
  });
}

/**
 * `pairs` pairs of requests, each for a random node of the small table then of the large one
 * (order alternating), two workers: both tables see the same moments of a busy machine, so
 * the comparison holds even when the absolute figures wander.
 */
async function timedPairs(
  small: { url: string; macs: readonly string[] },
  large: { url: string; macs: readonly string[] },
  pairs: number,
  agent: Agent,
): Promise<{ small: number[]; large: number[] }> {
  const out = { small: [] as number[], large: [] as number[] };
  let left = pairs;
  const random = (t: { url: string; macs: readonly string[] }) =>
    `${t.url}${bootPath(t.macs[Math.floor(Math.random() * t.macs.length)] as string)}`;
  const worker = async () => {
    for (let i = 0; left-- > 0; i++) {
      const order = i % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const);
      for (const which of order) {
        out[which].push(await timedGet(random(which === "small" ? small : large), agent));
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;

// ---------------------------------------------------------------- the suite

export async function benchLoad(
  options: LoadOptions = parseLoadArgs(process.argv.slice(2)),
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const log = (msg: string) => console.log(`  (load) ${msg}`);
  const dataDir = await mkdtemp(join(tmpdir(), "swiftboot-bench-load-"));
  let ddb: DynamoDbLocal | undefined;
  const running: Server[] = [];
  try {
    ddb = await startDynamoDbLocal({});
    let started = performance.now();
    const macs = await seedTable(ddb.endpoint, "load-main", options.machines);
    log(`seeded ${options.machines} nodes in ${Math.round(performance.now() - started)} ms`);

    // 1. Throughput: the real server vs the minimal one, each warmed up first.
    const real = await startRealServer(ddb.endpoint, "load-main", join(dataDir, "real"), true);
    running.push(real);
    const baseline = await startBaselineServer();
    running.push(baseline);
    const memory = await startMemoryServer(options.machines);
    running.push(memory);
    for (const s of [real, memory, baseline]) await cannon(s.url, macs, options.connections, 2);
    const r = await cannonWithCpu(real, macs, options.connections, options.duration);
    const m = await cannonWithCpu(memory, macs, options.connections, options.duration);
    const b = await cannonWithCpu(baseline, macs, options.connections, options.duration);
    // Bare single-item GetItems through the same SDK, same concurrency, right after.
    const getItems = await getItemRate(
      ddb.endpoint,
      "load-main",
      macs,
      options.connections,
      options.duration,
    );
    const label = `${options.connections} connections, ${options.duration} s, ${options.machines} distinct MACs`;
    results.push(
      {
        name: `per-node scripts, real server (DynamoDB Local), ${label}`,
        value: Math.round(r.rps),
        unit: "req/s",
        baseline: "bare single-item GetItems through the same SDK, same concurrency",
        ratio: r.rps / getItems,
        target: "ratio >= 0.4",
      },
      {
        name: "  real server p50 / p99 latency",
        value: r.p50,
        unit: `ms / ${r.p99} ms`,
        target: "p99 <= 75 ms",
      },
      {
        name: "  real server errors (connection errors, timeouts, non-2xx)",
        value: r.errors,
        unit: `of ${r.requests}`,
        target: "0",
      },
      {
        name: "  real server CPU per script (user + system, /proc)",
        value: r.cpuUs,
        unit: "µs",
      },
      {
        name: "  bare GetItem rate (DynamoDB Local, through the SDK)",
        value: Math.round(getItems),
        unit: "GetItem/s",
      },
      {
        name: "  real server vs minimal hono server",
        value: Math.round(r.rps),
        unit: "req/s",
        baseline: "minimal hono server answering a constant script",
        ratio: r.rps / b.rps,
      },
      {
        name: "app's own cost: same routes over a store answering from memory without copying",
        value: Math.round(m.rps),
        unit: `req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.errors} errors, ${m.cpuUs} µs CPU/script`,
        baseline: "minimal hono server",
        ratio: m.rps / b.rps,
        target: "ratio >= 0.5",
      },
      {
        name: "  the same by CPU: server CPU per request, minimal hono server / this app",
        value: m.cpuUs,
        unit: `µs vs ${b.cpuUs} µs`,
        baseline: "minimal hono server's CPU per request",
        ratio: b.cpuUs / Math.max(1, m.cpuUs),
      },
      {
        name: "  baseline: minimal hono server",
        value: Math.round(b.rps),
        unit: `req/s, p50 ${b.p50} ms, p99 ${b.p99} ms, ${b.errors} errors, ${b.cpuUs} µs CPU/request`,
      },
    );
    for (const s of [baseline, memory]) {
      await s.stop();
      running.splice(running.indexOf(s), 1);
    }

    // Store calls per script, at the wire (a counting proxy), history flushed on a clean stop.
    const calls = await storeCallsPerScript(
      ddb.endpoint,
      "load-main",
      join(dataDir, "counted"),
      macs,
      Math.min(500, options.machines),
      options.connections,
    );
    results.push({
      name: "store calls per script (counted at the wire; first calls and history included)",
      value: calls.total,
      unit: `calls (${Object.entries(calls.perScript)
        .map(([op, n]) => `${op} ${n}`)
        .join(", ")})`,
      target: "<= 1 read on the critical path for a known machine",
    });

    // 2. Soak: the real server for soakSeconds at soakConnections; RSS at start, middle, end.
    if (options.soakSeconds > 0) {
      const rss = [rssMiB(real.pid)];
      const middle = setTimeout(() => rss.push(rssMiB(real.pid)), (options.soakSeconds * 1000) / 2);
      const rate = options.soakRate > 0 ? options.soakRate : Math.max(10, Math.round(r.rps / 2));
      const soak = await cannon(real.url, macs, options.soakConnections, options.soakSeconds, rate);
      clearTimeout(middle);
      rss.push(rssMiB(real.pid));
      results.push(
        {
          name: `soak, real server, ${options.soakSeconds} s, ${options.soakConnections} connections at ${rate} req/s: errors`,
          value: soak.errors,
          unit: `of ${soak.requests} requests (${Math.round(soak.rps)} req/s, p50 ${soak.p50} ms, p99 ${soak.p99} ms)`,
          target: "0",
        },
        {
          name: "  server RSS start / middle / end",
          value: rss[0] as number,
          unit: `MiB / ${rss[1]} MiB / ${rss[2]} MiB`,
          target: "end within 20 % of middle",
        },
      );
    }
    await real.stop();
    running.splice(running.indexOf(real), 1);

    // 3. Constant-time lookups: small vs large table, alternating rounds, no boot history writes.
    started = performance.now();
    const small = await seedTable(ddb.endpoint, "load-small", options.smallNodes);
    const large = await seedTable(ddb.endpoint, "load-large", options.largeNodes);
    log(
      `seeded ${options.smallNodes} + ${options.largeNodes} nodes in ${Math.round(performance.now() - started)} ms`,
    );
    const smallServer = await startRealServer(
      ddb.endpoint,
      "load-small",
      join(dataDir, "small"),
      false,
    );
    running.push(smallServer);
    const largeServer = await startRealServer(
      ddb.endpoint,
      "load-large",
      join(dataDir, "large"),
      false,
    );
    running.push(largeServer);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const tables = {
      small: { url: smallServer.url, macs: small },
      large: { url: largeServer.url, macs: large },
    };
    await timedPairs(tables.small, tables.large, 100, agent); // warm-up
    const latencies = await timedPairs(tables.small, tables.large, options.lookupRequests, agent);
    agent.destroy();
    const p50Small = median(latencies.small);
    const p50Large = median(latencies.large);
    results.push({
      name: `per-node script p50, ${options.largeNodes.toLocaleString("en")} nodes vs ${options.smallNodes} (${latencies.large.length} random nodes each)`,
      value: round1(p50Large / 1000),
      unit: `ms vs ${round1(p50Small / 1000)} ms`,
      baseline: `${options.smallNodes} nodes`,
      // times: baseline / value, so >= 0.91 means within 10 %
      ratio: p50Small / p50Large,
      target: "ratio >= 0.91 (within 10 %)",
    });
    return results;
  } finally {
    for (const s of running) await s.stop().catch(() => {});
    await ddb?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const at = process.argv.indexOf("--baseline-server");
  const memoryAt = process.argv.indexOf("--memory-server");
  if (at !== -1) {
    await baselineServer(Number(process.argv[at + 1]));
  } else if (memoryAt !== -1) {
    await memoryServer(Number(process.argv[memoryAt + 1]), Number(process.argv[memoryAt + 2]));
  } else {
    for (const r of await benchLoad()) {
      const ratio = r.ratio === undefined ? "" : `  ratio ${r.ratio.toFixed(2)} vs ${r.baseline}`;
      console.log(
        `${r.name}: ${r.value} ${r.unit}${ratio}${r.target ? `  (target ${r.target})` : ""}`,
      );
    }
  }
}
