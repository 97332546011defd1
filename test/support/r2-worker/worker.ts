/**
 * Test worker: exposes createR2Cache over HTTP so that Node-side tests can run the ArtifactCache
 * contract against the real adapter inside workerd (miniflare), on a real R2 binding.
 *
 *   GET  /head?key=K                      → 200 CachedObject JSON | 404
 *   GET  /get?key=K[&start=S&end=E]       → 200, `x-object: <CachedObject JSON>`, body | 404
 *   PUT  /put?key=K&id=I  `x-write: {contentType,size?,sha256?}`, body streamed
 *                                         → 200 CachedObject JSON
 *   GET  /outcome?id=I                    → how put I ended (the same JSON and status as its own
 *                                           answer), 404 while it runs. When the worker fails a
 *                                           put before reading the whole body (size exceeded),
 *                                           workerd answers and closes the connection, and the
 *                                           client's fetch only sees "fetch failed": it asks here.
 *   POST /delete?key=K                    → 204
 *   GET  /progress?id=I                   → bytes of put I's body the adapter has read so far
 *                                           (the client paces its sending by it, so that the
 *                                           adapter's read-ahead, not the sockets' buffers,
 *                                           decides how much of a source gets read)
 *   POST /abort?id=I                      → aborts put I's AbortSignal, as a client that goes
 *                                           away does through request.signal (a test cannot
 *                                           time a disconnect so that the signal, rather than the
 *                                           broken body, reaches the adapter first). Only a flag
 *                                           crosses requests: workerd forbids touching another
 *                                           request's streams, so put I polls it on its own timer.
 *   GET  /uploads                         → the multipart uploads the adapter started, and how
 *                                           each ended (completed / aborted / neither)
 *   POST /probe?key=K&uploadId=U          → tries to add a part to that upload: 200 if it still
 *                                           accepts parts, 409 if R2 refused (aborted/completed)
 *
 * Failures answer JSON `{ name, message, reason? }`: CacheWriteError 422, CacheUnavailableError
 * 503, anything else 500. The put's signal is the request's, so a client that goes away aborts it.
 */
import type {
  R2Bucket,
  R2MultipartOptions,
  R2MultipartUpload,
  R2UploadedPart,
} from "@cloudflare/workers-types";
import { createR2Cache } from "../../../shared/cache/adapters/r2.ts";
import {
  type CachedObject,
  CacheUnavailableError,
  CacheWriteError,
  type CacheWriteOptions,
} from "../../../shared/cache/types.ts";

interface Env {
  CACHE: R2Bucket;
  /** Optional override of the adapter's part size (bytes), as a string binding. */
  PART_SIZE?: string;
}

interface UploadRecord {
  key: string;
  uploadId: string;
  parts: number;
  /** Byte length of each part, in upload order. */
  partSizes: number[];
  state: "open" | "completed" | "aborted";
}

const uploads: UploadRecord[] = [];
const outcomes = new Map<string, { status: number; body: string }>();
const progress = new Map<string, number>();
const abortRequested = new Set<string>();

/** `body`, counting into `progress` what its reader has taken. */
function counted(id: string | null, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  if (id === null) return body;
  const reader = body.getReader();
  progress.set(id, 0);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await reader.read();
        if (next.done) {
          controller.close();
          return;
        }
        progress.set(id, (progress.get(id) ?? 0) + next.value.byteLength);
        controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/** The binding, with its multipart uploads recorded. */
function recording(bucket: R2Bucket): R2Bucket {
  const wrapUpload = (upload: R2MultipartUpload): R2MultipartUpload => {
    const record: UploadRecord = {
      key: upload.key,
      uploadId: upload.uploadId,
      parts: 0,
      partSizes: [],
      state: "open",
    };
    uploads.push(record);
    return {
      key: upload.key,
      uploadId: upload.uploadId,
      async uploadPart(partNumber, value, options): Promise<R2UploadedPart> {
        const part = await upload.uploadPart(partNumber, value, options);
        record.parts++;
        record.partSizes.push(ArrayBuffer.isView(value) ? value.byteLength : -1);
        return part;
      },
      async abort() {
        await upload.abort();
        record.state = "aborted";
      },
      async complete(parts) {
        const object = await upload.complete(parts);
        record.state = "completed";
        return object;
      },
    };
  };
  return new Proxy(bucket, {
    get(target, property) {
      if (property === "createMultipartUpload") {
        return async (key: string, options?: R2MultipartOptions) =>
          wrapUpload(await target.createMultipartUpload(key, options));
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const json = (value: unknown, status = 200): Response =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

/** Answers `response`, keeping a copy of it as put `id`'s outcome. */
async function recordOutcome(id: string | null, response: Response): Promise<Response> {
  if (id === null) return response;
  const body = await response.text();
  outcomes.set(id, { status: response.status, body });
  return new Response(body, { status: response.status, headers: response.headers });
}

function failure(err: unknown): Response {
  if (err instanceof CacheWriteError) {
    return json({ name: err.name, message: err.message, reason: err.reason }, 422);
  }
  if (err instanceof CacheUnavailableError)
    return json({ name: err.name, message: err.message }, 503);
  const e = err instanceof Error ? err : new Error(String(err));
  return json({ name: e.name, message: e.message }, 500);
}

const serialize = (object: CachedObject) => ({
  ...object,
  lastModified: object.lastModified.toISOString(),
});

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const partSize = env.PART_SIZE !== undefined ? Number(env.PART_SIZE) : undefined;
    const cache = createR2Cache(recording(env.CACHE), partSize !== undefined ? { partSize } : {});
    try {
      switch (`${request.method} ${url.pathname}`) {
        case "GET /head": {
          const object = await cache.head(key);
          return object === undefined
            ? new Response(null, { status: 404 })
            : json(serialize(object));
        }
        case "GET /get": {
          const start = url.searchParams.get("start");
          const end = url.searchParams.get("end");
          const read = await cache.get(
            key,
            start !== null && end !== null ? { start: Number(start), end: Number(end) } : undefined,
          );
          if (read === undefined) return new Response(null, { status: 404 });
          return new Response(read.body, {
            headers: { "x-object": JSON.stringify(serialize(read.object)) },
          });
        }
        case "PUT /put": {
          const options = JSON.parse(request.headers.get("x-write") ?? "{}") as CacheWriteOptions;
          const body = request.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
          const id = url.searchParams.get("id");
          const abort = new AbortController();
          const poll = setInterval(() => {
            if (id !== null && abortRequested.has(id)) abort.abort(new Error("client went away"));
          }, 5);
          const signal = AbortSignal.any([request.signal, abort.signal]);
          try {
            const object = await cache.put(key, counted(id, body), { ...options, signal });
            return await recordOutcome(id, json(serialize(object)));
          } catch (err) {
            return await recordOutcome(id, failure(err));
          } finally {
            clearInterval(poll);
          }
        }
        case "POST /abort":
          abortRequested.add(url.searchParams.get("id") ?? "");
          return new Response(null, { status: 204 });
        case "GET /progress":
          return json(progress.get(url.searchParams.get("id") ?? "") ?? 0);
        case "GET /outcome": {
          const outcome = outcomes.get(url.searchParams.get("id") ?? "");
          if (outcome === undefined) return new Response(null, { status: 404 });
          return new Response(outcome.body, {
            status: outcome.status,
            headers: { "content-type": "application/json" },
          });
        }
        case "POST /delete":
          await cache.delete(key);
          return new Response(null, { status: 204 });
        case "GET /uploads":
          return json(uploads);
        case "POST /probe": {
          const upload = env.CACHE.resumeMultipartUpload(
            key,
            url.searchParams.get("uploadId") ?? "",
          );
          try {
            await upload.uploadPart(1, new Uint8Array(16));
            return json({ accepts: true });
          } catch (err) {
            return json({ accepts: false, message: String(err) }, 409);
          }
        }
        default:
          return new Response("not found", { status: 404 });
      }
    } catch (err) {
      return failure(err);
    }
  },
};
