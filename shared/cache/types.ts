/**
 * The bucket-backed artifact cache. One interface, three adapters (local directory, S3, R2) that
 * pass the same contract suite. Keys are content-addressed (`artifacts/<imageId>/<contentId>`),
 * so an image that changes gets new keys and nothing stale is ever served.
 */
export interface CachedObject {
  key: string;
  size: number;
  /** Strong entity tag, quoted, e.g. `"9f86d0..."`. */
  etag: string;
  lastModified: Date;
  contentType: string;
  /** Hex sha256 of the content when the adapter knows it. */
  sha256?: string;
}

/** Inclusive byte range, already validated against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface CacheRead {
  object: CachedObject;
  /** The whole object, or the requested range. Streamed, never buffered whole. */
  body: ReadableStream<Uint8Array>;
}

export interface CacheWriteOptions {
  contentType: string;
  /** When known: the write fails (and nothing is stored) if the stream's length differs. */
  size?: number;
  /** When known: the write fails (and nothing is stored) if the content's sha256 differs. */
  sha256?: string;
  signal?: AbortSignal;
}

export interface ArtifactCache {
  head(key: string): Promise<CachedObject | undefined>;
  get(key: string, range?: ByteRange): Promise<CacheRead | undefined>;
  /**
   * Stores `body` under `key`. The object becomes visible only once the whole stream has been
   * written and checked; a stream that errors, an abort, or a size/sha256 mismatch leaves no
   * object and no partial upload behind, and rejects with CacheWriteError.
   */
  put(
    key: string,
    body: ReadableStream<Uint8Array>,
    options: CacheWriteOptions,
  ): Promise<CachedObject>;
  delete(key: string): Promise<void>;
  /** Redirect mode: a short-lived URL the client can GET directly (S3/R2 presigned). Optional. */
  presignGet?(key: string, expiresInSeconds: number): Promise<string>;
}

export class CacheError extends Error {
  override name = "CacheError";
}

/** The bucket could not be reached: callers answer 503 + Retry-After. */
export class CacheUnavailableError extends CacheError {
  override name = "CacheUnavailableError";
}

export class CacheWriteError extends CacheError {
  override name = "CacheWriteError";
  constructor(
    message: string,
    readonly reason: "aborted" | "source-failed" | "size-mismatch" | "sha256-mismatch" | "backend",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
