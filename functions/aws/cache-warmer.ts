/**
 * Cache warmer: reads the table's stream and pre-fills the S3 cache for every image that was
 * created or changed, so the first machine to boot it does not wait for the fill. A middy
 * handler over shared/artifacts/warm.ts: per record, a fill (or nothing, when the content is
 * already cached or being filled); failures are reported per record (`batchItemFailures`), and Lambda
 * retries from the first failed one, which re-warming makes harmless (it is idempotent).
 */
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { artifactWarmer } from "../../shared/artifacts/services.ts";
import { type WarmDeps, warmImage } from "../../shared/artifacts/warm.ts";
import { createS3Cache } from "../../shared/cache/adapters/s3.ts";
import type { Config } from "../../shared/config/index.ts";
import { createDocumentClient, createDynamoClient } from "../../shared/store/client.ts";
import { createDynamoFillLock } from "../../shared/store/fill-lock.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { nodeOriginFetch } from "../node/origin-fetch.ts";
import { cacheBucketOptions } from "./clients/cache-bucket.ts";
import { emfFields } from "./telemetry/emf.ts";
import { METRICS_NAMESPACE } from "./telemetry/logger.ts";
import { type WarmerContext, warmerRuntime } from "./warmer/middleware.ts";
import { imageOfRecord } from "./warmer/stream-images.ts";

type Deps = Omit<WarmDeps, "owner">;

/** Built by the middleware with each configuration, so a rotated secret reaches the fills. */
function warmDeps({ config }: { config: Config }): Deps {
  const bucket = cacheBucketOptions(process.env, config.store.region);
  return artifactWarmer({
    config,
    cache: createS3Cache({ client: new S3Client(bucket.client), bucket: bucket.name }),
    fillLock: createDynamoFillLock({
      client: createDocumentClient(createDynamoClient(storeOptions(config))),
      table: config.store.table,
      timeoutMs: config.store.timeout_ms,
    }),
    // Not Node's global fetch: it can crash on large bodies (functions/node/origin-fetch.ts).
    originFetch: nodeOriginFetch,
  });
}

export async function warmBatch(
  event: DynamoDBStreamEvent,
  context: WarmerContext<Deps>,
): Promise<DynamoDBBatchResponse> {
  const runtime = context.swiftboot;
  const deps = runtime.deps;
  const failures: DynamoDBBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    const id = record.dynamodb?.SequenceNumber ?? record.eventID ?? "";
    try {
      const image = imageOfRecord(record);
      if (image === undefined) continue;
      const result = await warmImage(image, { ...deps, owner: context.awsRequestId });
      const bytes = result.outcome === "filled" ? result.bytes : 0;
      runtime.logger.info("warm", {
        image: image.id,
        key: result.key,
        outcome: result.outcome,
        ...emfFields(
          METRICS_NAMESPACE,
          [
            {
              dimensions: {},
              metrics: {
                WarmFills: { value: result.outcome === "filled" ? 1 : 0, unit: "Count" },
                FillBytes: { value: bytes, unit: "Bytes" },
              },
            },
          ],
          Date.now(),
        ),
      });
    } catch (error) {
      runtime.logger.error("warm failed", {
        record: id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      failures.push({ itemIdentifier: id });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = middy<
  DynamoDBStreamEvent,
  DynamoDBBatchResponse,
  Error,
  WarmerContext<Deps>
>()
  .use(warmerRuntime(warmDeps))
  .handler((event, context) => warmBatch(event, context));
