import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfigError } from "../../../shared/config/index.ts";

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
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    },
  };
}
