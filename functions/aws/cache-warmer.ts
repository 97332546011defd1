/**
 * Cache warmer: reads the table's stream and pre-fills the S3 cache for every image that was
 * created or changed, so the first machine to boot it does not wait for the fill. A middy
 * handler over shared/cache/warm.ts: per record, a fill (or nothing, when the content is already
 * cached or being filled); failures are reported per record (`batchItemFailures`), and Lambda
 * retries from the first failed one, which re-warming makes harmless (it is idempotent).
 */
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { createDynamoFillLock } from "../../shared/cache/dynamo-fill-lock.ts";
import { originSettings } from "../../shared/cache/origin.ts";
import { createS3Cache } from "../../shared/cache/s3-cache.ts";
import { type WarmDeps, warmImage } from "../../shared/cache/warm.ts";
import { createDocumentClient, createDynamoClient } from "../../shared/store/client.ts";
import { nodeOriginFetch } from "../node/origin-fetch.ts";
import { cacheBucketOptions } from "./lib/cache-bucket.ts";
import { storeOptions } from "./lib/dynamo.ts";
import { emfFields } from "./lib/emf.ts";
import { METRICS_NAMESPACE } from "./lib/logger.ts";
import { imageOfRecord } from "./lib/stream-images.ts";
import { type WarmerContext, type WarmerRuntime, warmerRuntime } from "./lib/warmer-middleware.ts";

let deps: Omit<WarmDeps, "owner"> | undefined;

function warmDeps({ config }: WarmerRuntime): Omit<WarmDeps, "owner"> {
  const bucket = cacheBucketOptions(process.env, config.store.region);
  return {
    cache: createS3Cache({ client: new S3Client(bucket.client), bucket: bucket.name }),
    fillLock: createDynamoFillLock({
      client: createDocumentClient(createDynamoClient(storeOptions(config))),
      table: config.store.table,
      timeoutMs: config.store.timeout_ms,
    }),
    // Not Node's global fetch: it can crash on large bodies (functions/node/origin-fetch.ts).
    origin: { ...originSettings(config), fetch: nodeOriginFetch },
    defaultContainer: config.swift.container,
    lockTtlSeconds: config.cache.fill_lock_ttl,
  };
}

export async function warmBatch(
  event: DynamoDBStreamEvent,
  context: WarmerContext,
): Promise<DynamoDBBatchResponse> {
  const runtime = context.swiftboot;
  deps ??= warmDeps(runtime);
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

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, WarmerContext>()
  .use(warmerRuntime())
  .handler((event, context) => warmBatch(event, context));
