import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KERNEL_BYTES, RAMDISK_BYTES, SAMPLE_ARTIFACT_KEY } from "../../../events/fixtures.ts";
import { SwiftClient } from "../../support/swift-client.ts";
import { createTestBucket, deleteBucket, listKeys, swiftS3Client } from "../cache/s3-helpers.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildResultsForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { invokeBundle } from "./invoke.ts";
import { expectUndiciLoadedOnFirstFill } from "./lazy-undici.ts";
import { startOrigin } from "./origin.ts";
import { fakeSecretsService } from "./secrets-service.ts";
import { seedSampleTable } from "./seed.ts";

/** The warmer bundle with the sample stream event: fills, idempotency, partial batch failures. */
let bundle: string;
let eagerInputs: string[];
let db: TestStore;
let bucket: string;
let origin: Awaited<ReturnType<typeof startOrigin>>;
const s3 = swiftS3Client();

beforeAll(async () => {
  origin = await startOrigin({ "/kernel": KERNEL_BYTES, "/ramdisk": RAMDISK_BYTES });
  let built: Awaited<ReturnType<typeof buildResultsForTest>>;
  [built, db, bucket] = (await Promise.all([
    buildResultsForTest("cache-warmer"),
    seedSampleTable("lambda-warmer"),
    createTestBucket(s3, "lambda-warmer"),
  ])) as [typeof built, TestStore, string];
  const result = built[0];
  if (result === undefined) throw new Error("the cache-warmer bundle was not built");
  ({ file: bundle, eagerInputs } = result);
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

describe("cache-warmer bundle, after a secret rotation", () => {
  // The warmer once built its Swift origin settings on the first batch and kept them: after the
  // temp URL key was rotated in the secret, every fill from Swift was signed with the old key.
  it("signs its Swift fills with the rotated swift.temp_url_key at the next re-read", async () => {
    const swift = SwiftClient.fromInject();
    const container = `warmer-${randomUUID().slice(0, 8)}`;
    const oldKey = `old-tempurl-key-${randomUUID()}`;
    const newKey = `new-tempurl-key-${randomUUID()}`;
    const doc = (tempUrlKey: string) =>
      JSON.stringify({
        "artifacts.signing_key": SAMPLE_ARTIFACT_KEY,
        "swift.temp_url_key": tempUrlKey,
      });
    const secrets = await fakeSecretsService(doc(oldKey));
    // The sample kernel's INSERT, read from this test's container (no origin URL: from Swift).
    const event = loadEvent("warmer-stream") as {
      Records: { eventName: string; dynamodb: { NewImage?: Record<string, unknown> } }[];
    };
    const kernel = event.Records.filter(
      (r) =>
        r.eventName === "INSERT" &&
        (r.dynamodb.NewImage?.id as { S?: string } | undefined)?.S === "sample-kernel",
    );
    expect(kernel).toHaveLength(1);
    const swiftField = kernel[0]?.dynamodb.NewImage?.swift as { M: Record<string, unknown> };
    swiftField.M.container = { S: container };
    const batch = { Records: kernel };
    // The signing key comes from the secret too.
    const { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: _fromSecret, ...base } = env();
    // A bucket of its own: content ids follow the bytes, so the kernel is cached in the other.
    const rotationBucket = await createTestBucket(s3, "lambda-warmer-rotation");
    try {
      await swift.putContainer(container);
      // Swift already takes only the new key; the secret says the old one, then the new one.
      await swift.setTempUrlKeys({ scope: "container", container }, { key: newKey });
      await swift.putObject(container, "deploy/vmlinuz", new TextEncoder().encode(KERNEL_BYTES));
      secrets.answer(doc(oldKey), doc(newKey));
      const { results, logs, rawLogs } = await invokeBundle(
        bundle,
        [batch, batch],
        {
          ...base,
          CACHE_BUCKET: rotationBucket,
          SWIFTBOOT_SECRETS_ARN:
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:warmer-AbCdEf",
          SWIFTBOOT_SECRETS_MAX_AGE: "1",
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
          SWIFTBOOT_SWIFT_ENDPOINT_URL: swift.proxyUrl,
          SWIFTBOOT_SWIFT_ACCOUNT: swift.account,
        },
        { pauseMs: 1_100 },
      );
      // Before the re-read: signed with the old key, refused by Swift, reported for a retry.
      const [sequence] = kernel.map(
        (r) => (r.dynamodb as { SequenceNumber?: string }).SequenceNumber,
      );
      expect(results[0]?.result.batchItemFailures).toEqual([{ itemIdentifier: sequence }]);
      expect(logs.find((l) => l.msg === "warm failed")?.error).toMatch(/401/);
      // After it: the new key, and the kernel is cached.
      expect(results[1]?.result.batchItemFailures).toEqual([]);
      expect(logs.filter((l) => l.msg === "warm").map((l) => l.outcome)).toEqual(["filled"]);
      expect(secrets.calls).toHaveLength(2);
      expect(logs.filter((l) => l.msg === "secret refresh failed")).toEqual([]);
      expect(rawLogs).not.toContain(oldKey);
      expect(rawLogs).not.toContain(newKey);
      expect(await listKeys(s3, rotationBucket)).toHaveLength(1);
    } finally {
      await secrets.close();
      await deleteBucket(s3, rotationBucket);
      await swift.deleteObject(container, "deploy/vmlinuz").catch(() => {});
      await swift.deleteContainer(container).catch(() => {});
    }
  });
});

afterAll(() => removeTestBuilds());

describe("what the cache-warmer bundle loads at import", () => {
  it("leaves undici to undici-client.mjs, loaded by the first fill", () => {
    expectUndiciLoadedOnFirstFill(bundle, eagerInputs);
  });
});
