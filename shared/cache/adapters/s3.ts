/**
 * ArtifactCache on an S3 bucket (AWS S3, or any S3 API such as Swift's s3api), with the AWS SDK v3.
 *
 * Writes: objects up to one part (8 MiB) are buffered and sent with one PutObject; larger ones go
 * up as a multipart upload (lib-storage `Upload`, two parts in flight, so memory stays at a few
 * parts whatever the object's size: s3WriteBufferBytes). Size and sha256 are checked while the bytes stream (see
 * verifyWrite): the stream only ends after the checks pass, and S3 only makes an object visible
 * on PutObject / CompleteMultipartUpload, which lib-storage sends after the end of the stream, so a
 * bad write never becomes visible. On any failure lib-storage aborts the multipart upload, so no
 * parts are left behind either (a bucket lifecycle rule catches what a crash leaves; see
 * docs/cache-adapters.md).
 *
 * The sha256 and content type are stored as object metadata, and the ETag is the quoted sha256
 * rather than S3's (MD5-based, `-N` for multipart) ETag, so every adapter gives the same content
 * the same ETag. The one exception: a multipart object written without an expected sha256 has no
 * sha256 metadata, because S3 fixes metadata when the upload starts, before the hash is known;
 * such objects keep S3's own (still strong) ETag and report no sha256.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { awsErrorShape, isAwsNetworkError } from "../../aws/errors.ts";
import { assertCacheKey } from "../keys.ts";
import { bufferStart, multipartPartSize, sha256Etag, verifyWrite } from "../streams.ts";
import {
  type ArtifactCache,
  type ByteRange,
  type CachedObject,
  CacheError,
  type CacheRead,
  CacheUnavailableError,
  CacheWriteError,
  type CacheWriteOptions,
} from "../types.ts";

export interface S3CacheOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `swiftboot/`. */
  prefix?: string;
  /** Multipart part size in bytes (S3's minimum is 5 MiB). Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once. Default 2. */
  queueSize?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 2;
const MAX_PARTS = 10_000;
const SHA256_METADATA = "sha256";
const DEFAULT_CONTENT_TYPE = "application/octet-stream";

interface ObjectFields {
  ContentLength?: number;
  ContentType?: string;
  ETag?: string;
  LastModified?: Date;
  Metadata?: Record<string, string>;
}

/**
 * Memory a put holds by design: the parts in flight, the part being filled, and the previous
 * part, which lib-storage's chunker keeps referenced (the next part starts as a view into its
 * buffer) until the part being filled is complete. Independent of the object's size.
 */
export function s3WriteBufferBytes(
  options: Pick<S3CacheOptions, "partSize" | "queueSize"> = {},
): number {
  return ((options.queueSize ?? DEFAULT_QUEUE_SIZE) + 2) * (options.partSize ?? DEFAULT_PART_SIZE);
}

export function createS3Cache(options: S3CacheOptions): ArtifactCache {
  const { client, bucket } = options;
  const prefix = options.prefix ?? "";
  const basePartSize = options.partSize ?? DEFAULT_PART_SIZE;
  const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;

  const toObject = (key: string, fields: ObjectFields, size: number): CachedObject => {
    const sha256 = fields.Metadata?.[SHA256_METADATA]?.toLowerCase();
    const etag = sha256 !== undefined ? sha256Etag(sha256) : fields.ETag;
    if (etag === undefined || fields.LastModified === undefined) {
      throw new CacheError(`S3 answered for ${key} without ETag or Last-Modified`);
    }
    return {
      key,
      size,
      etag,
      lastModified: fields.LastModified,
      contentType: fields.ContentType ?? DEFAULT_CONTENT_TYPE,
      ...(sha256 !== undefined ? { sha256 } : {}),
    };
  };

  const head = async (key: string): Promise<CachedObject | undefined> => {
    assertCacheKey(key);
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }));
      return toObject(key, out, out.ContentLength ?? 0);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toCacheError(err, `HeadObject ${key}`);
    }
  };

  const get = async (key: string, range?: ByteRange): Promise<CacheRead | undefined> => {
    assertCacheKey(key);
    let out: GetObjectCommandOutput;
    try {
      out = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: prefix + key,
          ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toCacheError(err, `GetObject ${key}`);
    }
    if (out.Body === undefined) throw new CacheError(`S3 GetObject ${key} returned no body`);
    const size = range !== undefined ? totalFromContentRange(out.ContentRange) : out.ContentLength;
    if (size === undefined) {
      throw new CacheError(`S3 GetObject ${key} returned no usable Content-Range/Length`);
    }
    return { object: toObject(key, out, size), body: out.Body.transformToWebStream() };
  };

  const put = async (
    key: string,
    source: ReadableStream<Uint8Array>,
    write: CacheWriteOptions,
  ): Promise<CachedObject> => {
    assertCacheKey(key);
    const verified = verifyWrite(source, write);
    const partSize = multipartPartSize(write.size, basePartSize, MAX_PARTS);
    try {
      const start = await bufferStart(verified.body, partSize);
      // A single-part object has been read and checked whole: its sha256 is known even when the
      // caller did not give one. A multipart upload must name its metadata before the first part.
      const sha256 = start.complete ? verified.summary()?.sha256 : write.sha256?.toLowerCase();
      const upload = new Upload({
        client,
        partSize,
        queueSize,
        params: {
          Bucket: bucket,
          Key: prefix + key,
          Body: start.complete ? start.bytes : start.body,
          ContentType: write.contentType,
          Metadata: sha256 !== undefined ? { [SHA256_METADATA]: sha256 } : {},
        },
      });
      await upload.done();
    } catch (err) {
      verified.stop(new CacheWriteError("the upload failed", "backend", { cause: err }));
      throw toWriteError(err, key, write.signal);
    }
    if (write.signal?.aborted) {
      // Aborted while the last request was in flight: the object may exist; the caller was told no.
      await remove(key).catch(() => {});
      throw new CacheWriteError("write aborted", "aborted", { cause: write.signal.reason });
    }
    // HeadObject rather than assembling the answer: Last-Modified comes from S3 only, and the
    // caller then gets exactly what head() and get() will report.
    const stored = await head(key).catch((err: unknown) => {
      throw new CacheWriteError(`stored ${key}, but reading it back failed`, "backend", {
        cause: err,
      });
    });
    if (stored === undefined) {
      throw new CacheWriteError(`stored ${key}, but it is not there`, "backend");
    }
    return stored;
  };

  const remove = async (key: string): Promise<void> => {
    assertCacheKey(key);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw toCacheError(err, `DeleteObject ${key}`);
    }
  };

  const presignGet = async (key: string, expiresInSeconds: number): Promise<string> => {
    assertCacheKey(key);
    return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: prefix + key }), {
      expiresIn: expiresInSeconds,
    });
  };

  return { head, get, put, delete: remove, presignGet };
}

/** `bytes 0-99/1234` → 1234. */
function totalFromContentRange(value: string | undefined): number | undefined {
  const match = /\/(\d+)\s*$/.exec(value ?? "");
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

/** A missing key. HEAD answers have no body, so S3 reports only the status there. */
function isNotFound(err: unknown): boolean {
  const e = awsErrorShape(err);
  if (e.name === "NoSuchBucket") return false;
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}

const RETRYABLE_NAMES = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "ThrottlingException",
  "TimeoutError",
  "AbortError",
  "NetworkingError",
  "CredentialsProviderError",
]);
/**
 * Unreachable, slow, throttled or failing (5xx) buckets become CacheUnavailableError, which the
 * route answers with 503 + Retry-After; other S3 answers (403, a missing bucket) are
 * configuration errors and stay CacheErrors.
 */
export function toCacheError(err: unknown, operation: string): CacheError {
  if (err instanceof CacheError) return err;
  const e = awsErrorShape(err);
  const status = e.$metadata?.httpStatusCode;
  const unavailable =
    (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) ||
    isAwsNetworkError(e) ||
    e.$fault === "server" ||
    (status !== undefined && status >= 500);
  const message = `S3 ${operation} failed: ${e.name ?? "Error"}: ${e.message ?? String(err)}`;
  return unavailable
    ? new CacheUnavailableError(message, { cause: err })
    : new CacheError(message, { cause: err });
}

function toWriteError(err: unknown, key: string, signal: AbortSignal | undefined): CacheWriteError {
  if (err instanceof CacheWriteError) return err;
  if (signal?.aborted) {
    return new CacheWriteError("write aborted", "aborted", { cause: signal.reason });
  }
  return new CacheWriteError(`writing ${key} to S3 failed`, "backend", {
    cause: toCacheError(err, `upload ${key}`),
  });
}
