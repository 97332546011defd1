import { OriginError, type OriginFailure } from "./errors.ts";
import { boundedTee, TeeStallError } from "./tee.ts";
import type { ArtifactCache, CachedObject, CacheError } from "./types.ts";
import { CacheWriteError } from "./types.ts";
import { type Expected, verifyForClient } from "./verify.ts";

/** An origin download a fill reads from (shared/artifacts/origin.ts opens one). */
export interface OpenedOrigin {
  /** Raw bytes, idle-timed; errors are OriginError. */
  body: ReadableStream<Uint8Array>;
  /** Content-Length when the origin sent one. */
  size: number | undefined;
}

/**
 * Fill on miss: one origin download feeds both the requesting client and `cache.put`.
 *
 * - The client is served while the object is written, from the same bytes (no second download),
 *   through `verifyForClient`: the last chunk is held back until length and sha256 have been
 *   checked, so a wrong or truncated origin body reaches the client as a failed download.
 * - The tee reads at the slower side's pace (bounded memory; see tee.ts).
 * - If the origin fails midway, both sides error: the put leaves nothing, the client's response
 *   is cut short.
 * - If the client goes away, only its branch is dropped: the fill carries on and completes,
 *   because the client (iPXE's retry) and any waiting followers want that object next, and the
 *   origin bytes are already flowing. The origin idle timeout still bounds it.
 * - If the cache write fails (bucket error), the client keeps streaming from the origin alone.
 */
export interface FillOptions {
  cache: ArtifactCache;
  key: string;
  origin: OpenedOrigin;
  expected: Expected;
  contentType: string;
  /** Also return a stream for the client that asked. */
  withClient: boolean;
  /** Bytes each tee branch may queue. */
  highWaterMark: number;
  /** A branch that stops reading for this long is dropped (see tee.ts). */
  stallMs: number;
}

export type FillResult =
  | { ok: true; object: CachedObject }
  /** `origin`: the origin was at fault (bad bytes, cut, timeout), not the cache. */
  | { ok: false; error: CacheError; origin: boolean };

export interface Fill {
  client: ReadableStream<Uint8Array> | undefined;
  /** The length being written, when known (always, when `client` is set). */
  size: number | undefined;
  /** Settles when the object is stored or the fill has failed; never rejects. */
  done: Promise<FillResult>;
}

export function startFill(options: FillOptions): Fill {
  const { origin, expected } = options;
  let toCache = origin.body;
  let client: ReadableStream<Uint8Array> | undefined;
  if (options.withClient) {
    const [a, b] = boundedTee(origin.body, {
      highWaterMark: options.highWaterMark,
      stallMs: options.stallMs,
    });
    client = verifyForClient(a, expected);
    toCache = b;
  }
  const done = options.cache
    .put(options.key, toCache, {
      contentType: options.contentType,
      ...(expected.size === undefined ? {} : { size: expected.size }),
      ...(expected.sha256 === undefined ? {} : { sha256: expected.sha256 }),
    })
    .then(
      (object): FillResult => ({ ok: true, object }),
      (error: unknown): FillResult => classify(error),
    );
  return { client, size: expected.size, done };
}

/**
 * Whose fault a failed put was: decides between 502 (origin) and serving around the cache. Origin
 * faults are reported as OriginError whichever side noticed them first (the adapter checks the
 * same bytes as the client's stream), so every request waiting on the fill gets the same 502.
 */
function classify(error: unknown): FillResult {
  if (error instanceof OriginError) return { ok: false, error, origin: true };
  if (error instanceof CacheWriteError) {
    const cause = error.cause;
    if (cause instanceof OriginError) return { ok: false, error: cause, origin: true };
    // The tee dropped the cache's branch for not reading: the bucket was too slow.
    if (cause instanceof TeeStallError) return { ok: false, error, origin: false };
    const reason = ORIGIN_FAULTS[error.reason];
    if (reason !== undefined) {
      return {
        ok: false,
        error: new OriginError(error.message, reason, { cause: error }),
        origin: true,
      };
    }
    return { ok: false, error, origin: false };
  }
  const wrapped = new CacheWriteError(
    `cache write failed: ${error instanceof Error ? error.message : String(error)}`,
    "backend",
    { cause: error },
  );
  return { ok: false, error: wrapped, origin: false };
}

const ORIGIN_FAULTS: Partial<Record<CacheWriteError["reason"], OriginFailure>> = {
  "source-failed": "truncated",
  "size-mismatch": "size-mismatch",
  "sha256-mismatch": "sha256-mismatch",
};
