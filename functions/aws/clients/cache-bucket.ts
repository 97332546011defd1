import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfigError } from "../../../shared/config/index.ts";

/**
 * Time limits on every bucket call. The SDK sets none by default, so a bucket that accepts
 * connections and then says nothing held each artifact request for as long as the function may
 * run (15 minutes). `requestTimeout` runs until the response headers (request body included, so
 * it allows an 8 MiB part upload), `socketTimeout` is the idle limit while a body streams (as
 * long as the origin's stall limit, `cache.origin_timeout_ms`'s default), `connectionTimeout`
 * bounds the TCP connect. With the SDK's three attempts, a silent bucket answers 503 within
 * about 3 × 15 s instead of never.
 */
export const CACHE_BUCKET_TIMEOUTS = {
  connectionTimeout: 5_000,
  requestTimeout: 15_000,
  socketTimeout: 30_000,
  throwOnRequestTimeout: true,
} as const;

/**
 * The cache bucket of the artifacts function and the warmer. Deployment wiring rather than a
 * swiftboot option (the Node server and the Worker have their own caches), so plain names:
 * CACHE_BUCKET (set by the stack), and for tests or S3-compatible stores CACHE_BUCKET_ENDPOINT
 * (path-style addressing) and CACHE_BUCKET_REGION.
 */
export function cacheBucketOptions(
  env: Record<string, string | undefined>,
  defaultRegion: string,
): { name: string; client: S3ClientConfig } {
  const name = env.CACHE_BUCKET;
  if (!name) throw new ConfigError(["CACHE_BUCKET: the artifact cache's bucket is not set"]);
  const endpoint = env.CACHE_BUCKET_ENDPOINT;
  return {
    name,
    client: {
      region: env.CACHE_BUCKET_REGION || defaultRegion,
      requestHandler: { ...CACHE_BUCKET_TIMEOUTS },
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    },
  };
}
