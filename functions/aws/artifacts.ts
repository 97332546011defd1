/**
 * Lambda entry point for `/v1/artifacts/...` and `/ipxe/<name>` (swiftboot's own iPXE builds) behind a Function URL in RESPONSE_STREAM mode: the
 * S3 artifact cache (bucket CACHE_BUCKET), filled on a miss from each image's origin under the
 * DynamoDB fill lock, or answered with a redirect to a presigned URL when `cache.redirect` is on.
 * Behind the stack's CloudFront front (`front.key_pair_id` and `front.private_key` set), every
 * verified request is answered with a redirect to a CloudFront signed URL of the cached object
 * instead (front/signed-artifacts.ts), and scripts and redirects name the viewer's host.
 *
 * It mounts the boot and artifact routes, never the admin API (the admin function's, behind IAM):
 * this Function URL is open, so whatever the configuration says, `/v1/nodes` is not here.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { createS3Cache } from "../../shared/cache/adapters/s3.ts";
import { composeApp, type RouteDeps } from "../../shared/http/compose.ts";
import { artifactRoutes } from "../../shared/http/routes/artifacts.ts";
import { bootRoutes } from "../../shared/http/routes/boot.ts";
import { ipxeRoutes } from "../../shared/http/routes/ipxe.ts";
import { createDocumentClient } from "../../shared/store/client.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { createDynamoFillLock } from "../../shared/store/fill-lock.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { nodeOriginFetch } from "../node/origin-fetch.ts";
import { cacheBucketOptions } from "./clients/cache-bucket.ts";
import { signedArtifactRoutes } from "./front/signed-artifacts.ts";
import { behindViewerFront } from "./front/viewer.ts";
import type { LambdaRuntime } from "./handlers/http-buffered.ts";
import { createStreamingHandler } from "./handlers/http-streaming.ts";

export const handler = createStreamingHandler("artifacts", (runtime) =>
  behindViewerFront(runtime, build),
);

function build({ config, logger, clientAddress }: LambdaRuntime) {
  const store = createDynamoStore(storeOptions(config));
  const bucket = cacheBucketOptions(process.env, config.store.region);
  const { key_pair_id: keyPairId, private_key: privateKey } = config.front;
  const signedUrls =
    keyPairId === undefined || privateKey === undefined
      ? undefined
      : (deps: RouteDeps) => signedArtifactRoutes(deps, { keyPairId, privateKey });
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
      // Not Node's global fetch: it can crash on large bodies (functions/node/origin-fetch.ts).
      originFetch: nodeOriginFetch,
    },
    // Behind the stack's CloudFront front (front.key_pair_id): 302 to a CloudFront signed URL.
    [bootRoutes, signedUrls === undefined ? artifactRoutes : signedUrls, ipxeRoutes],
  );
}
