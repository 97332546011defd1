import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KERNEL_BYTES, RAMDISK_BYTES, SAMPLE_ARTIFACT_KEY } from "../../../events/fixtures.ts";
import { createTestBucket, deleteBucket, listKeys, swiftS3Client } from "../cache/s3-helpers.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { invokeBundle } from "./invoke.ts";
import { startOrigin } from "./origin.ts";
import { seedSampleTable } from "./seed.ts";

/** The warmer bundle with the sample stream event: fills, idempotency, partial batch failures. */
let bundle: string;
let db: TestStore;
let bucket: string;
let origin: Awaited<ReturnType<typeof startOrigin>>;
const s3 = swiftS3Client();

beforeAll(async () => {
  origin = await startOrigin({ "/kernel": KERNEL_BYTES, "/ramdisk": RAMDISK_BYTES });
  [{ "cache-warmer": bundle }, db, bucket] = (await Promise.all([
    buildForTest("cache-warmer"),
    seedSampleTable("lambda-warmer"),
    createTestBucket(s3, "lambda-warmer"),
  ])) as [{ "cache-warmer": string }, TestStore, string];
});

afterAll(async () => {
  await origin?.close();
  if (bucket) await deleteBucket(s3, bucket);
});

/** The sample event, with each image's origin pointed at `origins` (the event has none). */
function streamEvent(origins: Record<string, string>) {
  const event = loadEvent("warmer-stream") as {
    Records: { dynamodb: { NewImage?: Record<string, unknown> } }[];
  };
  for (const record of event.Records) {
    const image = record.dynamodb.NewImage as { id?: { S: string } } | undefined;
    const url = image?.id === undefined ? undefined : origins[image.id.S];
    if (url !== undefined && image !== undefined) Object.assign(image, { origin: { S: url } });
  }
  return event;
}

const env = () => ({
  SWIFTBOOT_STORE_TABLE: db.table,
  SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
  SWIFTBOOT_STORE_REGION: "us-east-1",
  SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
  CACHE_BUCKET: bucket,
  CACHE_BUCKET_ENDPOINT: inject("swiftProxyUrl"),
  CACHE_BUCKET_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test:tester",
  AWS_SECRET_ACCESS_KEY: "testing",
});

describe("cache-warmer bundle, invoked with the sample stream event", () => {
  it("reports the record whose fill failed, fills the others, and is idempotent", async () => {
    // The ramdisk's origin is missing: its record fails, the kernel is filled.
    const broken = streamEvent({
      "sample-kernel": `${origin.url}/kernel`,
      "sample-ramdisk": `${origin.url}/missing`,
    });
    const fixed = streamEvent({
      "sample-kernel": `${origin.url}/kernel`,
      "sample-ramdisk": `${origin.url}/ramdisk`,
    });
    const { results, logs } = await invokeBundle(bundle, [broken, fixed, fixed], env());
    const [first, retry, again] = results.map((r) => r.result);

    expect(first?.batchItemFailures).toEqual([{ itemIdentifier: "40000000000000000000003" }]);
    expect(retry?.batchItemFailures).toEqual([]);
    expect(again?.batchItemFailures).toEqual([]);

    const warm = logs.filter((l) => l.msg === "warm");
    expect(warm.map((l) => `${l.image}:${l.outcome}`)).toEqual([
      "sample-kernel:filled",
      "sample-kernel:cached",
      "sample-ramdisk:filled",
      "sample-kernel:cached",
      "sample-ramdisk:cached",
    ]);
    expect(warm[0]).toMatchObject({ WarmFills: 1, FillBytes: KERNEL_BYTES.length });
    expect(logs.filter((l) => l.msg === "warm failed")).toHaveLength(1);
    // Each origin was read once: re-warming cached content is a HEAD, nothing more.
    expect(origin.hits.filter((h) => h === "/kernel")).toHaveLength(1);
    expect(origin.hits.filter((h) => h === "/ramdisk")).toHaveLength(1);
    expect((await listKeys(s3, bucket)).sort()).toHaveLength(2);
  });
});

afterAll(() => removeTestBuilds());
