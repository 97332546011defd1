/**
 * Stream helpers shared by the cache adapters: checking a write's bytes as they pass (every
 * adapter, and the test MemoryCache), and, for the buckets (S3, R2), buffering the first part of
 * an upload so that small objects go up in one request.
 */
import { createSha256 } from "./sha256.ts";
import { CacheWriteError, type CacheWriteOptions } from "./types.ts";

export interface VerifiedSummary {
  size: number;
  /** Lower-case hex sha256 of every byte that passed. */
  sha256: string;
}

export interface VerifiedWrite {
  /** The source's bytes, unchanged. Errors with a CacheWriteError instead of closing on a mismatch. */
  readonly body: ReadableStream<Uint8Array>;
  /** Set once `body` has closed, i.e. once every check has passed. */
  summary(): VerifiedSummary | undefined;
  /** Errors `body` with `reason` and cancels the source (both idempotent). */
  stop(reason: CacheWriteError): void;
}

/**
 * The one size and sha256 check on the write side: every ArtifactCache.put reads its source
 * through it. (The client side, a download that must fail before its last byte, is
 * verifyForClient in verify.ts.)
 *
 * Wraps a write's source so that its size and sha256 are checked while it streams. The checks on
 * the whole content run when the source ends, and `body` only closes after they pass: a consumer
 * that commits on end-of-stream (a PutObject sent after the last byte, a CompleteMultipartUpload)
 * therefore never commits bad content. A source that is longer than `options.size` fails as soon
 * as the excess byte arrives, without reading the rest.
 *
 * Pull-based with no read-ahead, so the consumer's backpressure reaches the source. Errors are
 * CacheWriteErrors: "source-failed" (the source errored), "size-mismatch", "sha256-mismatch",
 * "aborted" (`options.signal`).
 */
export function verifyWrite(
  source: ReadableStream<Uint8Array>,
  options: Pick<CacheWriteOptions, "size" | "sha256" | "signal">,
): VerifiedWrite {
  const expectedSha = options.sha256?.toLowerCase();
  const hash = createSha256();
  const reader = source.getReader();
  let size = 0;
  let summary: VerifiedSummary | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let stopped: CacheWriteError | undefined;

  const stop = (reason: CacheWriteError): void => {
    if (stopped !== undefined || summary !== undefined) return;
    stopped = reason;
    options.signal?.removeEventListener("abort", onAbort);
    try {
      controller.error(reason);
    } catch {
      // Already errored or closed.
    }
    // Release the origin's connection; a failing cancel changes nothing for the write.
    reader.cancel(reason).catch(() => {});
  };
  const onAbort = (): void => {
    stop(new CacheWriteError("write aborted", "aborted", { cause: options.signal?.reason }));
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (options.signal?.aborted) onAbort();
        else options.signal?.addEventListener("abort", onAbort, { once: true });
      },
      async pull(c) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          stop(new CacheWriteError("the source stream failed", "source-failed", { cause: err }));
          return;
        }
        if (stopped !== undefined) return;
        if (next.done) {
          const failure = check(size, hash.digestHex());
          if (failure !== undefined) {
            stop(failure);
            return;
          }
          options.signal?.removeEventListener("abort", onAbort);
          c.close();
          return;
        }
        const chunk = next.value;
        size += chunk.byteLength;
        if (options.size !== undefined && size > options.size) {
          stop(sizeMismatch(`more than ${options.size}`));
          return;
        }
        hash.update(chunk);
        c.enqueue(chunk);
      },
      cancel(reason) {
        options.signal?.removeEventListener("abort", onAbort);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );

  function sizeMismatch(got: string): CacheWriteError {
    return new CacheWriteError(
      `size mismatch: expected ${options.size} bytes, got ${got}`,
      "size-mismatch",
    );
  }

  function check(total: number, sha256: string): CacheWriteError | undefined {
    if (options.size !== undefined && total !== options.size) return sizeMismatch(String(total));
    if (expectedSha !== undefined && sha256 !== expectedSha) {
      return new CacheWriteError(
        `sha256 mismatch: expected ${expectedSha}, got ${sha256}`,
        "sha256-mismatch",
      );
    }
    summary = { size: total, sha256 };
    return undefined;
  }

  return { body, summary: () => summary, stop };
}

export type BufferedStart =
  /** The stream ended within the limit: all of it, in one buffer. */
  | { complete: true; bytes: Uint8Array }
  /** It did not: a stream that replays the buffered chunks, then continues with the rest. */
  | { complete: false; body: ReadableStream<Uint8Array> };

/**
 * Reads up to `limit` bytes (plus at most one chunk) from `stream`. Objects that fit are then
 * written in one request with everything known up front (size, sha256 for the metadata); larger
 * ones are handed on as a stream. Read errors propagate.
 */
export async function bufferStart(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<BufferedStart> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length <= limit) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      reader.releaseLock();
      throw err;
    }
    if (next.done) return { complete: true, bytes: concat(chunks, length) };
    chunks.push(next.value);
    length += next.value.byteLength;
  }
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const replay = chunks.shift();
        if (replay !== undefined) {
          c.enqueue(replay);
          return;
        }
        const next = await reader.read();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
      cancel(reason) {
        chunks.length = 0;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { complete: false, body };
}

export function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** `"<sha256>"`: the strong ETag every adapter gives an object whose sha256 it knows. */
export function sha256Etag(sha256: string): string {
  return `"${sha256}"`;
}

/**
 * Part size for a multipart upload: `base`, scaled up for objects so large that `base`-sized parts
 * would exceed the service's part limit (10,000 on S3 and R2). One part is kept in reserve.
 */
export function multipartPartSize(
  size: number | undefined,
  base: number,
  maxParts: number,
): number {
  return size === undefined ? base : Math.max(base, Math.ceil(size / (maxParts - 1)));
}
