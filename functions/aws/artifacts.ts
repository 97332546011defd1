/**
 * Lambda entry point for `/v1/artifacts/...` and `/ipxe/<name>` (swiftboot's own iPXE builds) behind a Function URL in RESPONSE_STREAM mode: the
 * S3 artifact cache (bucket CACHE_BUCKET), filled on a miss from each image's origin under the
 * DynamoDB fill lock, or answered with a redirect to a presigned URL when `cache.redirect` is on.
 *
 * It mounts the boot and artifact routes, never the admin API (the admin function's, behind IAM):
 * this Function URL is open, so whatever the configuration says, `/v1/nodes` is not here.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { createDynamoFillLock } from "../../shared/cache/dynamo-fill-lock.ts";
import { createS3Cache } from "../../shared/cache/s3-cache.ts";
import { composeApp } from "../../shared/http/compose.ts";
import { artifactRoutes } from "../../shared/http/routes/artifacts.ts";
import { bootRoutes } from "../../shared/http/routes/boot.ts";
import { ipxeRoutes } from "../../shared/http/routes/ipxe.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { cacheBucketOptions } from "./lib/cache-bucket.ts";
import { storeOptions } from "./lib/dynamo.ts";
import { createStreamingHandler } from "./lib/stream-handler.ts";

export const handler = createStreamingHandler("artifacts", ({ config, logger, clientAddress }) => {
  const store = createDynamoStore(storeOptions(config));
  const bucket = cacheBucketOptions(process.env, config.store.region);
  return composeApp(
    {
      config,
      logger,
      clientAddress,
      store,
      cache: createS3Cache({ client: new S3Client(bucket.client), bucket: bucket.name }),
      fillLock: createDynamoFillLock({
        client: createDocumentClient(store.client),
        table: config.store.table,
        timeoutMs: config.store.timeout_ms,
      }),
    },
    [bootRoutes, artifactRoutes, ipxeRoutes],
  );
});
