import { startFill } from "../cache/fill.ts";
import type { FillLock, FillLockHolder } from "../cache/lock.ts";
import type { ArtifactCache } from "../cache/types.ts";
import type { Image } from "../model/index.ts";
import { ARTIFACT_CONTENT_TYPE } from "./answer.ts";
import { artifactCacheKey } from "./cache-key.ts";
import { type OriginSettings, openOrigin } from "./origin.ts";
import { artifactContentId } from "./signed-url.ts";

/**
 * Pre-filling the cache for an image ahead of its first boot (the cache warmer, fed by image
 * changes). Idempotent: content-addressed keys mean an object already cached is exactly the one
 * wanted, so warming it again is a HEAD and nothing more. The fill lock keeps a warmer and a
 * booting machine (or two warmers) from downloading the same image twice.
 *
 * Its HEAD → lock → HEAD → fill is its own, not the serving path's FillCoordinator
 * (shared/cache/coalesce.ts), which answers a different question: how long a booting machine may
 * wait. The coordinator polls the cache for `waitMs` when the lock is held, fills anyway when the
 * lock backend fails, waits for its own fill at most `waitMs` too, and reports a failed cache
 * write as a bypass without its error. A warmer must answer "busy" at once (with the holder) when
 * the lock is held, fail the record when the lock backend fails (its stream retries it), await
 * the whole fill, tell "filled" from "cached", and fail with the write's own error.
 */
export interface WarmDeps {
  cache: ArtifactCache;
  fillLock: FillLock;
  origin: OriginSettings;
  /** `swift.container`, for images that name none (part of their content id). */
  defaultContainer: string | undefined;
  lockTtlSeconds: number;
  /** Bytes the fill may buffer between origin and cache (services.ts sets it). */
  fillBufferBytes: number;
  /** Who holds the lock while filling (e.g. the Lambda request id). */
  owner: string;
  now?: () => number;
}

export type WarmResult =
  | { key: string; outcome: "cached" }
  /** Someone else is filling it now: their fill will leave it cached. `holder` where known. */
  | { key: string; outcome: "busy"; holder?: FillLockHolder }
  | { key: string; outcome: "filled"; bytes: number };

/** Throws (CacheError, OriginError) when the fill fails; nothing partial is left in the cache. */
export async function warmImage(image: Image, deps: WarmDeps): Promise<WarmResult> {
  const now = deps.now ?? Date.now;
  const key = artifactCacheKey(image.id, artifactContentId(image, deps.defaultContainer));
  if ((await deps.cache.head(key)) !== undefined) return { key, outcome: "cached" };
  if (!(await deps.fillLock.tryAcquire(key, deps.lockTtlSeconds, deps.owner))) {
    // Only for the message: a lock that cannot say who holds it is still held.
    const holder = await deps.fillLock.heldBy?.(key).catch(() => undefined);
    return { key, outcome: "busy", ...(holder === undefined ? {} : { holder }) };
  }
  try {
    // Filled by someone else between the HEAD and the lock.
    if ((await deps.cache.head(key)) !== undefined) return { key, outcome: "cached" };
    const origin = await openOrigin(image, deps.origin, Math.floor(now() / 1000));
    const fill = startFill({
      cache: deps.cache,
      key,
      origin,
      expected: {
        ...(image.size === undefined ? {} : { size: image.size }),
        ...(image.sha256 === undefined ? {} : { sha256: image.sha256 }),
      },
      contentType: ARTIFACT_CONTENT_TYPE,
      withClient: false,
      highWaterMark: deps.fillBufferBytes,
      stallMs: deps.origin.idleTimeoutMs,
    });
    const result = await fill.done;
    if (!result.ok) throw result.error;
    return { key, outcome: "filled", bytes: result.object.size };
  } finally {
    await deps.fillLock.release(key, deps.owner);
  }
}
