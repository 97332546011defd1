/**
 * ArtifactCache on a Cloudflare R2 bucket, through the Workers binding (`env.CACHE`).
 *
 * Writes: the binding's `put` only takes a stream of known length, and commits as soon as it has
 * read that length, so it cannot wait for a check on the whole content. Instead:
 * - objects up to one part (8 MiB) are buffered, checked whole, and sent with one `put` (which
 *   also gets the sha256, so R2 verifies the bytes it received and records the checksum);
 * - larger ones go up as a multipart upload, one part at a time (memory stays at about one
 *   part), and `complete()` is only called once the stream has ended and its size and sha256
 *   have been checked (see verifyWrite). On any failure the upload is aborted, so neither an
 *   object nor its parts remain (R2 also drops uncompleted uploads after 7 days by default).
 *
 * The sha256 goes into custom metadata and becomes the ETag (quoted), as with the other adapters.
 * A multipart object written without an expected sha256 keeps R2's own ETag and reports no sha256:
 * its metadata is fixed when the upload starts, before the hash is known.
 *
 * No presignGet: the binding cannot sign URLs (that needs R2's S3 API and an access key; point
 * createS3Cache at R2's S3 endpoint for redirect mode). Workers serve objects through the route.
 */
import type {
  R2Bucket,
  R2MultipartUpload,
  R2Object,
  R2UploadedPart,
} from "@cloudflare/workers-types";
import { assertCacheKey } from "../keys.ts";
import { bufferStart, concat, multipartPartSize, sha256Etag, verifyWrite } from "../streams.ts";
import {
  type ArtifactCache,
  type ByteRange,
  type CachedObject,
  type CacheRead,
  CacheUnavailableError,
  CacheWriteError,
  type CacheWriteOptions,
} from "../types.ts";

export interface R2CacheOptions {
  /** Multipart part size in bytes (R2 needs at least 5 MiB, and equal sizes but the last). */
  partSize?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const MAX_PARTS = 10_000;
const SHA256_METADATA = "sha256";
const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function createR2Cache(bucket: R2Bucket, options: R2CacheOptions = {}): ArtifactCache {
  const basePartSize = options.partSize ?? DEFAULT_PART_SIZE;

  const head = async (key: string): Promise<CachedObject | undefined> => {
    assertCacheKey(key);
    let object: R2Object | null;
    try {
      object = await bucket.head(key);
    } catch (err) {
      throw unavailable(err, `head ${key}`);
    }
    return object === null ? undefined : toObject(key, object);
  };

  const get = async (key: string, range?: ByteRange): Promise<CacheRead | undefined> => {
    assertCacheKey(key);
    try {
      const object = await bucket.get(
        key,
        range !== undefined
          ? { range: { offset: range.start, length: range.end - range.start + 1 } }
          : undefined,
      );
      if (object === null) return undefined;
      return {
        object: toObject(key, object),
        body: object.body as unknown as ReadableStream<Uint8Array>,
      };
    } catch (err) {
      throw unavailable(err, `get ${key}`);
    }
  };

  const put = async (
    key: string,
    source: ReadableStream<Uint8Array>,
    write: CacheWriteOptions,
  ): Promise<CachedObject> => {
    assertCacheKey(key);
    const verified = verifyWrite(source, write);
    const partSize = multipartPartSize(write.size, basePartSize, MAX_PARTS);
    const httpMetadata = { contentType: write.contentType };
    let stored: R2Object;
    try {
      const start = await bufferStart(verified.body, partSize);
      if (start.complete) {
        const sha256 = verified.summary()?.sha256;
        stored = await bucket.put(key, start.bytes, {
          httpMetadata,
          ...(sha256 !== undefined
            ? { customMetadata: { [SHA256_METADATA]: sha256 }, sha256 }
            : {}),
        });
      } else {
        const sha256 = write.sha256?.toLowerCase();
        const upload = await bucket.createMultipartUpload(key, {
          httpMetadata,
          ...(sha256 !== undefined ? { customMetadata: { [SHA256_METADATA]: sha256 } } : {}),
        });
        stored = await uploadParts(upload, start.body, partSize);
      }
    } catch (err) {
      verified.stop(new CacheWriteError("the upload failed", "backend", { cause: err }));
      throw toWriteError(err, key, write.signal);
    }
    if (write.signal?.aborted) {
      // Aborted while the last request was in flight: the object may exist; the caller was told no.
      await remove(key).catch(() => {});
      throw new CacheWriteError("write aborted", "aborted", { cause: write.signal.reason });
    }
    return toObject(key, stored);
  };

  const remove = async (key: string): Promise<void> => {
    assertCacheKey(key);
    try {
      await bucket.delete(key);
    } catch (err) {
      throw unavailable(err, `delete ${key}`);
    }
  };

  return { head, get, put, delete: remove };
}

/**
 * Uploads `body` in parts of exactly `partSize` bytes (the last one shorter), one at a time, and
 * completes only after `body` has ended cleanly, i.e. after verifyWrite's checks passed. Aborts
 * the upload on any failure.
 */
async function uploadParts(
  upload: R2MultipartUpload,
  body: ReadableStream<Uint8Array>,
  partSize: number,
): Promise<R2Object> {
  const reader = body.getReader();
  const parts: R2UploadedPart[] = [];
  let chunks: Uint8Array[] = [];
  let length = 0;
  const send = async (bytes: Uint8Array): Promise<void> => {
    parts.push(await upload.uploadPart(parts.length + 1, bytes));
  };
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      chunks.push(next.value);
      length += next.value.byteLength;
      while (length >= partSize) {
        const all = concat(chunks, length);
        await send(all.subarray(0, partSize));
        const rest = all.subarray(partSize);
        chunks = rest.byteLength > 0 ? [rest] : [];
        length = rest.byteLength;
      }
    }
    if (length > 0 || parts.length === 0) await send(concat(chunks, length));
    return await upload.complete(parts);
  } catch (err) {
    // Parts of an uncompleted upload are invisible but billed; a failed abort is left to R2's
    // own expiry of incomplete uploads.
    await upload.abort().catch(() => {});
    reader.cancel(err).catch(() => {});
    throw err;
  }
}

function toObject(key: string, object: R2Object): CachedObject {
  const sha256 = object.customMetadata?.[SHA256_METADATA]?.toLowerCase();
  return {
    key,
    size: object.size,
    etag: sha256 !== undefined ? sha256Etag(sha256) : object.httpEtag,
    lastModified: object.uploaded,
    contentType: object.httpMetadata?.contentType ?? DEFAULT_CONTENT_TYPE,
    ...(sha256 !== undefined ? { sha256 } : {}),
  };
}

/**
 * Keys are validated before they reach R2, so what the binding throws is R2 failing or being
 * unreachable (its errors carry no status to tell more): the route answers 503 + Retry-After.
 */
function unavailable(err: unknown, operation: string): CacheUnavailableError {
  const message = err instanceof Error ? err.message : String(err);
  return new CacheUnavailableError(`R2 ${operation} failed: ${message}`, { cause: err });
}

function toWriteError(err: unknown, key: string, signal: AbortSignal | undefined): CacheWriteError {
  if (err instanceof CacheWriteError) return err;
  if (signal?.aborted) {
    return new CacheWriteError("write aborted", "aborted", { cause: signal.reason });
  }
  return new CacheWriteError(`writing ${key} to R2 failed`, "backend", {
    cause: unavailable(err, `put ${key}`),
  });
}
