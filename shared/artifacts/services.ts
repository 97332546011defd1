import { type ArtifactCache, FillCoordinator, type FillLock, noFillLock } from "../cache/index.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import type { ArtifactServer } from "./answer.ts";
import { type OriginFetch, originSettings } from "./origin.ts";
import type { WarmDeps } from "./warm.ts";

/** Bytes each side of a fill's tee may queue: bounds a fill's memory whatever the speeds. */
const FILL_BUFFER_BYTES = 1024 * 1024;

/**
 * The one place where the artifact services are assembled from a configuration, for every
 * transport: the artifact route (serving), the cache warmer and `swiftboot cache warm` (warming).
 * Whatever the configuration says about fills (lock TTL, waits, origin, buffers) is read here.
 */
export interface ArtifactServicesInput {
  config: Config;
  cache: ArtifactCache;
  /** Cross-instance fill lock; default none (every instance may fill). */
  fillLock?: FillLock;
  /** How fills reach origins; default the global fetch. */
  originFetch?: OriginFetch;
}

function origin({ config, originFetch }: ArtifactServicesInput) {
  const settings = originSettings(config);
  if (originFetch) settings.fetch = originFetch;
  return settings;
}

/** What the artifact route serves with: the cache, this instance's fill coordinator, the origin. */
export function artifactServer(input: ArtifactServicesInput & { logger: Logger }): ArtifactServer {
  const { config, cache, logger } = input;
  const coordinator = new FillCoordinator({
    cache,
    lock: input.fillLock ?? noFillLock,
    owner: `swiftboot-${crypto.randomUUID()}`,
    lockTtlSeconds: config.cache.fill_lock_ttl,
    waitMs: config.cache.fill_wait_ms,
    pollMs: config.cache.fill_poll_ms,
    onFillDone: (key, result, elapsedMs) => {
      if (result.ok) {
        logger.info("artifact fill", { key, ok: true, bytes: result.object.size, ms: elapsedMs });
      } else {
        logger.warn("artifact fill", {
          key,
          ok: false,
          origin_fault: result.origin,
          error: `${result.error.name}: ${result.error.message}`,
          ms: elapsedMs,
        });
      }
    },
    onLockError: (key, error) =>
      logger.warn("fill lock failed; filling without it", {
        key,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  });
  return {
    cache,
    coordinator,
    origin: origin(input),
    tee: { highWaterMark: FILL_BUFFER_BYTES, stallMs: config.cache.origin_timeout_ms },
    ...(config.cache.redirect
      ? {
          redirect: {
            ttlSeconds: config.cache.redirect_ttl,
            minBytes: config.cache.redirect_min_bytes,
          },
        }
      : {}),
  };
}

/** What warming needs, but its lock owner (per batch or per command run). */
export function artifactWarmer(
  input: ArtifactServicesInput & { fillLock: FillLock },
): Omit<WarmDeps, "owner"> {
  const { config, cache, fillLock } = input;
  return {
    cache,
    fillLock,
    origin: origin(input),
    defaultContainer: config.swift.container,
    lockTtlSeconds: config.cache.fill_lock_ttl,
    fillBufferBytes: FILL_BUFFER_BYTES,
  };
}
