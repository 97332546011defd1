/**
 * Runs test/support/r2-worker in miniflare (a real workerd, with an R2 binding backed by
 * miniflare's R2 simulator) and gives the tests an ArtifactCache that forwards every call to it
 * over HTTP, so the contract suite runs against the adapter inside the Workers runtime.
 *
 * Requests go to miniflare's own HTTP endpoint (`mf.ready`) with Node's fetch rather than through
 * `mf.dispatchFetch`: dispatchFetch re-wraps the request, and undici then clones it for redirect
 * handling, which tees a streamed body and keeps all of it in memory until the request ends.
 * That would make every put look like it buffers the whole object. `window: null` with
 * `redirect: "error"` is what lets undici send the body as is.
 */

import { type IncomingMessage, get as nodeHttpGet } from "node:http";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Miniflare } from "miniflare";
import { Agent, fetch as undiciFetch } from "undici";
import {
  type ArtifactCache,
  type ByteRange,
  type CachedObject,
  CacheError,
  type CacheRead,
  CacheUnavailableError,
  CacheWriteError,
  type CacheWriteOptions,
} from "../../../shared/cache/types.ts";
import { ownTmpMiniflare } from "../../support/miniflare.ts";

const ENTRY = fileURLToPath(new URL("../../support/r2-worker/worker.ts", import.meta.url));
/** How far ahead of the worker's adapter a put's source is read. */
const SEND_WINDOW = 1024 * 1024;

export interface UploadRecord {
  key: string;
  uploadId: string;
  parts: number;
  partSizes: number[];
  state: "open" | "completed" | "aborted";
}

export interface R2Worker {
  mf: Miniflare;
  /** The adapter, inside workerd, seen through HTTP. */
  cache: ArtifactCache;
  /** Multipart uploads the adapter started since the worker started. */
  uploads(): Promise<UploadRecord[]>;
  /** Whether R2 still accepts parts for that upload (false once aborted or completed). */
  acceptsParts(key: string, uploadId: string): Promise<boolean>;
  dispose(): Promise<void>;
}

let bundled: Promise<string> | undefined;

/** The worker bundled once per test file (esbuild, ESM, nothing external). */
function workerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  }).then((result) => {
    const file = result.outputFiles[0];
    if (file === undefined) throw new Error("esbuild produced no output for the R2 test worker");
    return file.text;
  });
  return bundled;
}

export async function startR2Worker(options: { partSize?: number } = {}): Promise<R2Worker> {
  const { mf, dispose } = ownTmpMiniflare({
    modules: true,
    script: await workerScript(),
    r2Buckets: ["CACHE"],
    compatibilityDate: "2025-06-01",
    // enable_request_signal: the put's AbortSignal is the request's, fired when the client leaves.
    compatibilityFlags: ["nodejs_compat", "enable_request_signal"],
    ...(options.partSize !== undefined
      ? { bindings: { PART_SIZE: String(options.partSize) } }
      : {}),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      forwardLines(stdout, process.stdout);
      forwardLines(stderr, process.stderr);
    },
  });
  const base = await mf.ready;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, base), { ...init, window: null, redirect: "error" });
  const q = (key: string) => `key=${encodeURIComponent(key)}`;
  const consumed = async (id: string): Promise<number> =>
    (await (await call(`/progress?id=${id}`)).json()) as number;
  /**
   * Waits for the worker to settle put `id` (its cleanup included), then gives its answer.
   * `broke` is why the put's own connection failed, for the error if the worker never answers.
   */
  const outcome = async (id: string, broke: unknown) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await call(`/outcome?id=${id}`);
      if (res.status !== 404) return res;
      await res.body?.cancel();
      if (Date.now() > deadline) {
        const seen = await consumed(id);
        throw new Error(
          `r2 worker: put ${id} never settled (its connection failed with ${describe(broke)}; the worker consumed ${seen} bytes of it)`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const cache: ArtifactCache = {
    async head(key) {
      const res = await call(`/head?${q(key)}`);
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      if (!res.ok) throw await errorFrom(res);
      return parseObject(await res.json());
    },
    async get(key: string, range?: ByteRange): Promise<CacheRead | undefined> {
      const r = range !== undefined ? `&start=${range.start}&end=${range.end}` : "";
      const res = await httpGet(new URL(`/get?${q(key)}${r}`, base));
      if (res.statusCode === 404) {
        res.resume();
        return undefined;
      }
      if (res.statusCode !== 200) throw await errorFrom(responseOf(res));
      const header = res.headers["x-object"];
      if (typeof header !== "string") throw new Error("r2 worker: get without object");
      return {
        object: parseObject(JSON.parse(header)),
        body: Readable.toWeb(res) as ReadableStream<Uint8Array>,
      };
    },
    async put(key, body, write: CacheWriteOptions): Promise<CachedObject> {
      const { signal, ...rest } = write;
      const source = body.getReader();
      if (signal?.aborted) {
        await source.cancel(signal.reason).catch(() => {});
        throw new CacheWriteError("write aborted", "aborted", { cause: signal.reason });
      }
      const id = crypto.randomUUID();
      // Forwarded through a stream of our own: the source can then be cancelled when the request
      // fails (undici neither cancels a request body nor reads an early answer), and it is read
      // at most SEND_WINDOW bytes ahead of what the adapter in the worker has consumed (sockets
      // would otherwise buffer megabytes, hiding how far the adapter reads ahead).
      let sent = 0;
      let acknowledged = 0;
      const forwarded = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            while (sent - acknowledged > SEND_WINDOW) {
              acknowledged = await consumed(id);
              if (sent - acknowledged > SEND_WINDOW) await new Promise((r) => setTimeout(r, 2));
            }
            const next = await source.read();
            if (next.done) {
              controller.close();
              return;
            }
            sent += next.value.byteLength;
            controller.enqueue(next.value);
          },
          cancel: (reason) => source.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      // The caller's abort reaches the adapter's signal in the worker; the worker's answer (or,
      // once the connection breaks, its recorded outcome) then reports it.
      const onAbort = () => {
        call(`/abort?id=${id}`, { method: "POST" }).then(
          (r) => r.body?.cancel(),
          () => {},
        );
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      // A connection of its own for each put: a request with a streamed body cannot be retried,
      // so a pooled keep-alive socket that workerd closed just as it was reused would fail the put
      // before the worker ever saw it (seen once, in a loaded CI run). A fresh agent reuses none.
      const agent = new Agent();
      try {
        let res: { ok: boolean; status: number; json(): Promise<unknown>; text(): Promise<string> };
        try {
          res = await undiciFetch(new URL(`/put?${q(key)}&id=${id}`, base), {
            method: "PUT",
            duplex: "half",
            headers: { "x-write": JSON.stringify(rest) },
            body: forwarded,
            redirect: "error",
            dispatcher: agent,
          });
        } catch (err) {
          source.cancel(err).catch(() => {});
          // The connection broke (the worker answered early, the source failed, or the caller
          // aborted): the worker's own outcome says what happened to the write.
          res = await outcome(id, err);
        }
        signal?.removeEventListener("abort", onAbort);
        if (!res.ok) {
          source.cancel(new Error("put failed")).catch(() => {});
          throw await errorFrom(res);
        }
        return parseObject(await res.json());
      } finally {
        agent.close().catch(() => {});
      }
    },
    async delete(key) {
      const res = await call(`/delete?${q(key)}`, { method: "POST" });
      if (!res.ok) throw await errorFrom(res);
    },
  };

  return {
    mf,
    cache,
    async uploads() {
      return (await (await call("/uploads")).json()) as UploadRecord[];
    },
    async acceptsParts(key, uploadId) {
      const res = await call(`/probe?${q(key)}&uploadId=${encodeURIComponent(uploadId)}`, {
        method: "POST",
      });
      await res.body?.cancel();
      return res.ok;
    },
    dispose,
  };
}

/**
 * workerd's output, minus two kinds of expected noise: "Broken pipe" when it answers a put early
 * (size exceeded, abort) and the client has already dropped the connection, and NOSENTRY
 * notices when the test worker reads an upload's key/uploadId.
 */
const NOISE = /NOSENTRY|disconnected: ::write\(fd|^stack: .*workerd@/;

function forwardLines(from: Readable, to: NodeJS.WritableStream): void {
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    if (!NOISE.test(line)) to.write(`${line}\n`);
  });
}

/**
 * GET with node:http: its stream stops reading the socket a chunk or two ahead of the consumer,
 * where fetch (undici) was seen holding up to 8 MiB of a fast response for a slower reader, which
 * the contract's memory check would charge to the adapter.
 */
function httpGet(url: URL): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    nodeHttpGet(url, resolve).on("error", reject);
  });
}

function responseOf(res: IncomingMessage): { status: number; text(): Promise<string> } {
  return {
    status: res.statusCode ?? 0,
    text: async () => {
      let text = "";
      for await (const chunk of res) text += String(chunk);
      return text;
    },
  };
}

function parseObject(value: unknown): CachedObject {
  const o = value as Omit<CachedObject, "lastModified"> & { lastModified: string };
  return { ...o, lastModified: new Date(o.lastModified) };
}

/** Rebuilds the adapter's error from the worker's JSON answer. */
async function errorFrom(res: {
  status: number;
  text(): Promise<string>;
}): Promise<CacheError | Error> {
  const text = await res.text();
  let body: { name?: string; message?: string; reason?: CacheWriteError["reason"] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    return new Error(`r2 worker answered ${res.status}: ${text}`);
  }
  const message = `${body.message ?? text} (in workerd)`;
  if (body.name === "CacheWriteError" && body.reason !== undefined) {
    return new CacheWriteError(message, body.reason);
  }
  if (body.name === "CacheUnavailableError") return new CacheUnavailableError(message);
  if (body.name === "CacheError") return new CacheError(message);
  return new Error(`${body.name ?? "Error"}: ${message}`);
}

/** An error and its causes, one line. */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const { name, message, code, cause } = e as {
      name?: string;
      message?: string;
      code?: string;
      cause?: unknown;
    };
    parts.push(`${name ?? "Error"}${code ? ` ${code}` : ""}: ${message ?? String(e)}`);
    e = cause;
  }
  return parts.join(" <- ");
}
