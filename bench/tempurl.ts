import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  signTempUrl,
  signTempUrlQuery,
  type TempUrlDigest,
  type TempUrlRequest,
  toUrlPath,
} from "../shared/tempurl/index.ts";
import type { BenchResult } from "./result.ts";

/**
 * Cost of signing one Swift temp URL, against python-swiftclient's generate_temp_url on the same
 * input, timed inside one long-lived python process with time.perf_counter_ns.
 *
 * Machines here are shared and noisy, so the two sides are interleaved: each round runs
 * BATCHES batches of ITERATIONS calls here, then the same in python, per digest. Reported: the
 * median per-call time over all batches of each side, and python / ours.
 *
 * Run alone: `tsx bench/tempurl.ts`.
 */
const ROUNDS = 7;
const BATCHES = 3;
const ITERATIONS = 10_000;
const DIGESTS: TempUrlDigest[] = ["sha1", "sha256", "sha512"];
const PYTHON = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("../test/support/python-tempurl.py", import.meta.url));
const BASELINE = "python-swiftclient generate_temp_url";

const INPUT = {
  path: "/v1/AUTH_test/images/ipa/deploy.kernel",
  key: "bench-temp-url-key-0123456789",
  expires: 1_900_000_000,
};

let sink = 0;

/** Per-call nanoseconds of each of BATCHES batches. */
function batchesOf(run: () => number): number[] {
  const out: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) sink += run();
    out.push(Number(process.hrtime.bigint() - start) / ITERATIONS);
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Talks to test/support/python-tempurl.py one JSON line at a time. */
class PythonBench {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<PythonBench | string> {
    const proc = spawn(PYTHON, [HELPER]);
    const failed = new Promise<string>((resolve) => proc.on("error", (e) => resolve(String(e))));
    const bench = new PythonBench(proc);
    // A warm-up request doubles as the check that python3-swiftclient is there.
    const first = await Promise.race([
      bench.ask({ ...INPUT, digest: "sha256", iterations: 1000, batches: 1 }),
      failed,
    ]);
    if (typeof first === "string" || !Array.isArray(first.ok)) {
      bench.stop();
      const why = typeof first === "string" ? first : (first.fatal ?? first.error);
      return `python-swiftclient unavailable (apt-get install python3-swiftclient): ${why}`;
    }
    return bench;
  }

  async ask(req: object): Promise<{ ok?: unknown; error?: string; fatal?: string }> {
    this.proc.stdin.write(`${JSON.stringify({ op: "bench", ...req })}\n`);
    const line = await this.lines.next();
    if (line.done === true) return { fatal: "python exited" };
    return JSON.parse(line.value) as { ok?: unknown; error?: string; fatal?: string };
  }

  async batches(digest: TempUrlDigest): Promise<number[]> {
    const answer = await this.ask({ ...INPUT, digest, iterations: ITERATIONS, batches: BATCHES });
    if (!Array.isArray(answer.ok))
      throw new Error(`python bench failed: ${answer.error ?? answer.fatal}`);
    return answer.ok as number[];
  }

  stop(): void {
    this.proc.stdin.end();
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export async function benchTempurl(): Promise<BenchResult[]> {
  const python = await PythonBench.start();
  const requests = new Map(DIGESTS.map((digest) => [digest, { ...INPUT, digest }]));
  const ours = new Map<TempUrlDigest, number[]>(DIGESTS.map((d) => [d, []]));
  const theirs = new Map<TempUrlDigest, number[]>(DIGESTS.map((d) => [d, []]));
  const wire: TempUrlRequest = { ...INPUT, digest: "sha256" };
  const wireTimes: number[] = [];

  for (const req of requests.values()) batchesOf(() => signTempUrl(req).length); // warm-up
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [digest, req] of requests) {
        ours.get(digest)?.push(...batchesOf(() => signTempUrl(req).length));
        if (typeof python !== "string") theirs.get(digest)?.push(...(await python.batches(digest)));
      }
      wireTimes.push(
        ...batchesOf(() => toUrlPath(wire.path).length + signTempUrlQuery(wire).length),
      );
    }
  } finally {
    if (typeof python !== "string") python.stop();
  }
  if (sink === 0) throw new Error("unreachable: every signed URL was empty");

  const results: BenchResult[] = DIGESTS.map((digest) => {
    const mine = median(ours.get(digest) ?? []);
    const base = typeof python === "string" ? undefined : median(theirs.get(digest) ?? []);
    return {
      name: `signTempUrl, ${digest}`,
      value: round1(mine),
      unit: "ns/op",
      baseline: base === undefined ? (python as string) : `${BASELINE}: ${round1(base)} ns/op`,
      ...(base === undefined ? {} : { ratio: Math.round((base / mine) * 100) / 100 }),
      target: "ratio >= 1.0",
    };
  });
  // What the boot path does per artifact: the wire form, path and query percent-encoded.
  results.push({
    name: "toUrlPath + signTempUrlQuery, sha256",
    value: round1(median(wireTimes)),
    unit: "ns/op",
    target: "<= 12500 ns (two fit in a 25 us deploy script)",
  });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchTempurl()) {
    const ratio = r.ratio === undefined ? "" : `, ratio ${r.ratio}`;
    console.log(
      `${r.name}: ${r.value} ${r.unit}${ratio} (${r.baseline ?? "no baseline"}; target ${r.target})`,
    );
  }
}
