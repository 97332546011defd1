import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { buildBundles } from "../scripts/build.ts";
import type { BenchResult } from "./result.ts";

/**
 * Lambda cold start, as far as it can be measured here: the wall time to start a fresh Node
 * process and import a bundle, for the boot function's bundle and for a minimal hono Lambda
 * bundle built the same way (scripts/build.ts), alternating, median of RUNS each. Three figures:
 *
 * - import only (the target: at most 1.5 times the minimal bundle);
 * - import and a first `/boot.ipxe` request (configuration, app, first script; no store);
 * - import and a first `/boot/{mac}.ipxe` request against a store that refuses connections
 *   (loads and runs the DynamoDB store and the AWS SDK up to the network; a real store adds
 *   its round trips). The baseline answers its `/boot.ipxe`.
 *
 * `ratio` follows bench/result.ts (baseline / value: 1.0 is as fast as the baseline); the
 * slowdown (value / baseline) is in the name. Run alone: `tsx bench/cold-start.ts`.
 */
const RUNS = 41;
const TARGET_SLOWDOWN = 1.5;
const run = promisify(execFile);

/**
 * Imports the bundle, optionally calls the handler once, then exits. The Lambda runtime's
 * `awslambda` global is emulated (as test/integration/lambda/invoke.ts does): the boot function
 * streams (RESPONSE_STREAM), so it is called with a response stream, and its status is read from
 * the stream's prelude; the baseline is a buffered handler and returns its answer.
 */
const RUNNER = `
const [bundle, eventJson] = process.argv.slice(1);
const STREAM = Symbol("streaming");
globalThis.awslambda = {
  streamifyResponse: (fn) => Object.assign(fn, { [STREAM]: true }),
  HttpResponseStream: {
    from(stream, metadata) {
      stream.write(JSON.stringify(metadata));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};
const { handler } = await import(bundle);
if (eventJson) {
  const event = JSON.parse(eventJson);
  let status;
  if (handler[STREAM]) {
    const { Writable } = await import("node:stream");
    const chunks = [];
    const sink = new Writable({ write(chunk, _e, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
    await handler(event, sink, { awsRequestId: "bench" });
    const all = Buffer.concat(chunks);
    const cut = all.indexOf(Buffer.alloc(8));
    if (cut >= 0) status = JSON.parse(all.subarray(0, cut).toString("utf8")).statusCode;
  } else {
    status = (await handler(event, { awsRequestId: "bench" }))?.statusCode;
  }
  if (typeof status !== "number") throw new Error("no answer");
}
process.exit(0);
`;

const ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "bench-artifact-signing-key-0123456789",
  // Nothing listens here: the store fails fast, after the SDK has done its work.
  SWIFTBOOT_STORE_ENDPOINT: "http://127.0.0.1:9",
  SWIFTBOOT_STORE_TIMEOUT_MS: "1000",
};

async function timeOnce(bundle: string, event: string | undefined): Promise<number> {
  const started = performance.now();
  await run(
    process.execPath,
    ["--input-type=module", "-e", RUNNER, pathToFileURL(bundle).href, ...(event ? [event] : [])],
    { env: ENV },
  );
  return performance.now() - started;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function compare(
  bundle: string,
  baseline: string,
  event: string | undefined,
  baselineEvent: string | undefined,
): Promise<{ value: number; base: number }> {
  const a: number[] = [];
  const b: number[] = [];
  // Warm the file cache, then alternate so that machine noise hits both alike.
  await timeOnce(bundle, event);
  await timeOnce(baseline, baselineEvent);
  for (let i = 0; i < RUNS; i++) {
    a.push(await timeOnce(bundle, event));
    b.push(await timeOnce(baseline, baselineEvent));
  }
  return { value: median(a), base: median(b) };
}

export async function benchColdStart(): Promise<BenchResult[]> {
  const outdir = await mkdtemp(join(tmpdir(), "swiftboot-bench-"));
  try {
    const built = await buildBundles({ outdir, only: ["boot", "minimal-lambda"] });
    const file = (name: string) => built.find((b) => b.name === name)?.file as string;
    const event = async (name: string) =>
      readFile(new URL(`../events/${name}.json`, import.meta.url), "utf8");
    const firstStage = await event("boot-first-stage");
    const known = await event("boot-known-node");
    const cases: [string, string | undefined, string | undefined][] = [
      ["import", undefined, undefined],
      ["import + first /boot.ipxe", firstStage, firstStage],
      ["import + first /boot/{mac}.ipxe (store refused)", known, firstStage],
    ];
    const results: BenchResult[] = [];
    for (const [label, bootEvent, baseEvent] of cases) {
      const { value, base } = await compare(
        file("boot"),
        file("minimal-lambda"),
        bootEvent,
        baseEvent,
      );
      const slowdown = value / base;
      results.push({
        name: `cold start, ${label}: boot bundle ${slowdown.toFixed(2)}x (${Math.round(base)} ms baseline)`,
        value: Math.round(value),
        unit: "ms",
        baseline: "minimal hono Lambda bundle, same build",
        ratio: base / value,
        ...(label === "import"
          ? {
              target: `<= ${TARGET_SLOWDOWN}x the baseline (ratio >= ${(1 / TARGET_SLOWDOWN).toFixed(2)})`,
            }
          : {}),
      });
    }
    return results;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchColdStart()) {
    console.log(`${r.name}: ${r.value} ${r.unit}${r.target ? ` (target ${r.target})` : ""}`);
  }
}
