/**
 * Invokes a built Lambda bundle the way `sam local invoke -e event.json` does: a fresh Node
 * process with only the function's environment, `import()` of the bundle, then
 * `handler(event, context)` for each event in turn (one execution environment, so the first call
 * is the cold start). The runtime's `awslambda` global is emulated (streamifyResponse and
 * HttpResponseStream); a streaming handler's output is decoded back into status, headers and body.
 *
 * With `notifyUrl`, the process also reports each streamed invocation's two moments to that URL
 * (GET `?event=ended&n=<invocation>` when the response stream has ended, then `?event=returned`
 * when the handler's promise has resolved), so a test can see what had happened by then.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface InvokeResult {
  /** The handler's return value (buffered handlers), or the decoded stream (streaming ones). */
  result: {
    statusCode?: number;
    headers?: Record<string, string>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
    batchItemFailures?: { itemIdentifier: string }[];
  };
  /** Milliseconds the call took, as seen inside the process. */
  ms: number;
}

export interface Invocation {
  results: InvokeResult[];
  /** Every line the process wrote to stdout (the function's logs), parsed when JSON. */
  logs: Record<string, unknown>[];
  rawLogs: string;
  stderr: string;
}

const RUNNER = `
import { readFileSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
const [bundle, input, output] = process.argv.slice(1);
const { events, streaming, pauseMs, notifyUrl } = JSON.parse(readFileSync(input, "utf8"));
const logs = [];
process.stdout.write = (chunk, encoding, cb) => {
  logs.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
  if (typeof encoding === "function") encoding(); else if (typeof cb === "function") cb();
  return true;
};
const STREAM = Symbol("streaming");
// The Node.js runtime's response streaming contract: a JSON prelude, 8 NUL bytes, then the body.
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
const { handler } = await import(pathToFileURL(bundle).href);
if (Boolean(handler[STREAM]) !== streaming) {
  throw new Error(streaming ? "the handler does not stream (expected RESPONSE_STREAM)" : "the handler streams: invoke it with { streaming: true }");
}
const notify = async (event, n) => {
  if (notifyUrl) await (await fetch(notifyUrl + "?event=" + event + "&n=" + n)).arrayBuffer();
};
const results = [];
let n = 0;
for (const event of events) {
  if (n > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  n += 1;
  const context = {
    awsRequestId: "00000000-0000-4000-8000-" + String(n).padStart(12, "0"),
    functionName: "swiftboot-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:swiftboot-test",
    memoryLimitInMB: "512",
    logGroupName: "/aws/lambda/swiftboot-test",
    logStreamName: "test",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10000,
    done() {}, fail() {}, succeed() {},
  };
  const started = performance.now();
  if (handler[STREAM]) {
    const chunks = [];
    const sink = new Writable({ write(chunk, _e, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
    const finished = new Promise((resolve) => sink.on("finish", resolve));
    const ended = finished.then(() => notify("ended", n));
    await handler(event, sink, context);
    await finished;
    await ended;
    await notify("returned", n);
    const all = Buffer.concat(chunks);
    const cut = all.indexOf(Buffer.alloc(8));
    const prelude = cut < 0 ? {} : JSON.parse(all.subarray(0, cut).toString("utf8"));
    const body = cut < 0 ? all : all.subarray(cut + 8);
    results.push({ result: { ...prelude, body: body.toString("base64"), isBase64Encoded: true }, ms: performance.now() - started });
  } else {
    results.push({ result: await handler(event, context), ms: performance.now() - started });
  }
}
writeFileSync(output, JSON.stringify({ results, logs: logs.join("") }));
process.exit(0);
`;

export async function invokeBundle(
  bundle: string,
  events: readonly unknown[],
  env: Record<string, string>,
  options: {
    streaming?: boolean;
    timeoutMs?: number;
    /** Idle time between two invocations (an environment waiting for its next request). */
    pauseMs?: number;
    /** Where to report when each streamed response ended and each handler returned. */
    notifyUrl?: string;
  } = {},
): Promise<Invocation> {
  const dir = await mkdtemp(join(tmpdir(), "swiftboot-invoke-"));
  try {
    const input = join(dir, "input.json");
    const output = join(dir, "output.json");
    await writeFile(
      input,
      JSON.stringify({
        events,
        streaming: options.streaming ?? false,
        pauseMs: options.pauseMs ?? 0,
        notifyUrl: options.notifyUrl,
      }),
    );
    let stderr = "";
    try {
      ({ stderr } = await run(
        process.execPath,
        ["--input-type=module", "-e", RUNNER, bundle, input, output],
        {
          // Only what Lambda would set: no SWIFTBOOT_TEST_* (config rejects unknown names).
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            AWS_REGION: "eu-west-1",
            AWS_ACCESS_KEY_ID: "test",
            AWS_SECRET_ACCESS_KEY: "test",
            AWS_LAMBDA_FUNCTION_NAME: "swiftboot-test",
            ...env,
          },
          timeout: options.timeoutMs ?? 60_000,
          maxBuffer: 64 * 1024 * 1024,
        },
      ));
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(
        `invoking ${bundle} failed:\n${(e.stderr ?? e.message)
          .split("\n")
          .filter((l) => l.length < 400)
          .slice(-15)
          .join("\n")}`,
      );
    }
    const parsed = JSON.parse(await readFile(output, "utf8")) as {
      results: InvokeResult[];
      logs: string;
    };
    const logs = parsed.logs
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
    return { results: parsed.results, logs, rawLogs: parsed.logs, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The body of a result as text (streamed bodies arrive base64-encoded). */
export function bodyText(result: InvokeResult["result"]): string {
  const body = result.body ?? "";
  return result.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}

/**
 * A streaming (RESPONSE_STREAM) bundle whose answers are text, such as the boot function's
 * scripts: invoked with `streaming: true` (refused if its handler does not stream), each body
 * decoded to text.
 */
export async function invokeStreamedText(
  bundle: string,
  events: readonly unknown[],
  env: Record<string, string>,
  options: Omit<NonNullable<Parameters<typeof invokeBundle>[3]>, "streaming"> = {},
): Promise<Invocation> {
  const invocation = await invokeBundle(bundle, events, env, { ...options, streaming: true });
  return {
    ...invocation,
    results: invocation.results.map((r) => ({
      ...r,
      result: { ...r.result, body: bodyText(r.result), isBase64Encoded: false },
    })),
  };
}
