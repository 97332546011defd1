import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KERNEL_BYTES, RAMDISK_BYTES, SAMPLE_ARTIFACT_KEY } from "../../../events/fixtures.ts";
import { createTestBucket, deleteBucket, swiftS3Client } from "../cache/s3-helpers.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildResultsForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { bodyText, invokeBundle } from "./invoke.ts";
import { expectUndiciLoadedOnFirstFill } from "./lazy-undici.ts";
import { startOrigin } from "./origin.ts";
import { seedSampleTable } from "./seed.ts";

/**
 * The artifacts bundle in RESPONSE_STREAM mode, as Lambda runs it: S3 cache on Swift's s3api,
 * fill lock and image records on DynamoDB Local, images filled from a local HTTP origin.
 */
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
    buildResultsForTest("artifacts"),
    seedSampleTable("lambda-artifacts", {
      kernel: `${origin.url}/kernel`,
      ramdisk: `${origin.url}/ramdisk`,
    }),
    createTestBucket(s3, "lambda-artifacts"),
  ])) as [typeof built, TestStore, string];
  const result = built[0];
  if (result === undefined) throw new Error("the artifacts bundle was not built");
  ({ file: bundle, eagerInputs } = result);
});

afterAll(async () => {
  await origin?.close();
  if (bucket) await deleteBucket(s3, bucket);
});

function env(): Record<string, string> {
  return {
    SWIFTBOOT_STORE_TABLE: db.table,
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    SWIFTBOOT_STORE_REGION: "us-east-1",
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    CACHE_BUCKET: bucket,
    CACHE_BUCKET_ENDPOINT: inject("swiftProxyUrl"),
    CACHE_BUCKET_REGION: "us-east-1",
    // Swift's tempauth user for its s3api (DynamoDB Local gets fixed local credentials).
    AWS_ACCESS_KEY_ID: "test:tester",
    AWS_SECRET_ACCESS_KEY: "testing",
  };
}

describe("artifacts bundle, invoked with the sample events", () => {
  it("fills on a miss, then serves GET, HEAD and Range from the bucket", async () => {
    const { results, logs } = await invokeBundle(
      bundle,
      [
        loadEvent("artifact-get"),
        loadEvent("artifact-get"),
        loadEvent("artifact-head"),
        loadEvent("artifact-range"),
      ],
      env(),
      { streaming: true },
    );
    const [fill, hit, head, range] = results.map((r) => r.result);

    expect(fill?.statusCode).toBe(200);
    expect(bodyText(fill ?? {})).toBe(KERNEL_BYTES);
    expect(hit?.statusCode).toBe(200);
    expect(bodyText(hit ?? {})).toBe(KERNEL_BYTES);
    expect(hit?.headers?.["content-length"]).toBe(String(KERNEL_BYTES.length));
    expect(hit?.headers?.etag).toMatch(/^"[0-9a-f]{64}"$/);

    expect(head?.statusCode).toBe(200);
    expect(bodyText(head ?? {})).toBe("");
    expect(head?.headers?.["content-length"]).toBe(String(KERNEL_BYTES.length));

    // The ramdisk is not cached yet: a range of a miss is served too.
    expect(range?.statusCode).toBe(206);
    expect(bodyText(range ?? {})).toBe(RAMDISK_BYTES.slice(0, 100));
    expect(range?.headers?.["content-range"]).toBe(`bytes 0-99/${RAMDISK_BYTES.length}`);

    // The origin was read once per image; the rest came from the bucket.
    expect(origin.hits.filter((h) => h === "/kernel")).toHaveLength(1);

    const requests = logs.filter((l) => l.msg === "request");
    expect(requests.map((l) => l.cache)).toEqual(["fill", "hit", "hit", expect.any(String)]);
    expect(requests[0]).toMatchObject({ CacheMisses: 1, FillBytes: KERNEL_BYTES.length });
    expect(requests[1]).toMatchObject({ CacheHits: 1 });
  });

  it("never serves the admin API, even with admin tokens configured (its URL is open)", async () => {
    const { results } = await invokeBundle(
      bundle,
      [loadEvent("admin-list-nodes")],
      { ...env(), SWIFTBOOT_ADMIN_TOKENS: `admin:${"a".repeat(64)}` },
      { streaming: true },
    );
    expect(results[0]?.result.statusCode).toBe(404);
    // Unknown under /v1, like any path this function does not serve: problem+json, no data.
    expect(JSON.parse(bodyText(results[0]?.result ?? {}))).toMatchObject({
      type: "urn:swiftboot:problem:not-found",
      detail: "no route /v1/nodes",
    });
  });

  it("refuses a tampered signature with 403", async () => {
    const event = loadEvent("artifact-get") as { rawQueryString: string };
    event.rawQueryString = event.rawQueryString.replace(/sig=./, "sig=0");
    const { results } = await invokeBundle(bundle, [event], env(), { streaming: true });
    expect(results[0]?.result.statusCode).toBe(403);
  });
});

afterAll(() => removeTestBuilds());

describe("what the artifacts bundle loads at import", () => {
  it("leaves undici to undici-client.mjs, loaded by the first fill", () => {
    expectUndiciLoadedOnFirstFill(bundle, eagerInputs);
  });
});
