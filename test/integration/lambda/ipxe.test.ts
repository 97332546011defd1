import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { SAMPLE_ARTIFACT_KEY } from "../../../events/fixtures.ts";
import { main } from "../../../functions/cli/main.ts";
import { CHAIN_URL_SLOT_LENGTH, embeddedScript } from "../../../shared/ipxe-binaries/slot.ts";
import { createTestBucket, deleteBucket, listKeys, swiftS3Client } from "../cache/s3-helpers.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { bodyText, invokeBundle } from "./invoke.ts";
import { seedSampleTable } from "./seed.ts";

/**
 * On AWS: `swiftboot ipxe publish --bucket` uploads a build into the cache bucket (Swift's s3api
 * here), and the artifacts bundle, invoked as Lambda runs it, serves `GET /ipxe/ipxe.efi` from it
 * with the Function URL's own chain URL patched in. A stand-in binary with the real embedded
 * script (the real builds are booted in test/e2e).
 */
let bundle: string;
let db: TestStore;
let bucket: string;
let dir: string;
const s3 = swiftS3Client();
const BINARY = Buffer.from(`MZ${"\u0000".repeat(3000)}${embeddedScript()}\u0000`);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  [{ artifacts: bundle }, db, bucket] = (await Promise.all([
    buildForTest("artifacts"),
    seedSampleTable("lambda-ipxe"),
    createTestBucket(s3, "lambda-ipxe"),
  ])) as [{ artifacts: string }, TestStore, string];
  dir = await mkdtemp(join(tmpdir(), "swiftboot-lambda-ipxe-"));
});

afterAll(async () => {
  if (bucket) await deleteBucket(s3, bucket);
  if (dir) await rm(dir, { recursive: true, force: true });
  removeTestBuilds();
});

it("publishes into the cache bucket; the artifacts function serves it patched", async () => {
  await writeFile(join(dir, "ipxe.efi"), BINARY);
  await writeFile(
    join(dir, "manifest.json"),
    JSON.stringify({
      format: 1,
      binaries: [
        {
          name: "ipxe.efi",
          platform: "efi",
          size: BINARY.length,
          sha256: sha256(BINARY),
          chain: "slot",
        },
      ],
    }),
  );
  // The SDK's default credential chain reads the process environment.
  process.env.AWS_ACCESS_KEY_ID = "test:tester";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  const err: string[] = [];
  const code = await main(
    [
      "node",
      "swiftboot",
      ...["ipxe", "publish", "--from", dir, "--bucket", bucket],
      ...["--endpoint", inject("swiftProxyUrl"), "--region", "us-east-1"],
    ],
    {
      out: () => {},
      err: (l) => err.push(l),
      readStdin: async () => "",
      setExitCode: () => {},
      env: {},
    },
  );
  expect(err).toEqual([]);
  expect(code).toBe(0);
  expect(await listKeys(s3, bucket, "ipxe/")).toEqual(["ipxe/ipxe.efi", "ipxe/manifest.json"]);

  const event = loadEvent("artifact-get") as Record<string, unknown> & {
    requestContext: { http: Record<string, unknown> };
  };
  const ipxeEvent = {
    ...event,
    rawPath: "/ipxe/ipxe.efi",
    rawQueryString: "",
    queryStringParameters: undefined,
    requestContext: {
      ...event.requestContext,
      http: { ...event.requestContext.http, path: "/ipxe/ipxe.efi" },
    },
  };
  const { results } = await invokeBundle(
    bundle,
    [ipxeEvent],
    {
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_REGION: "us-east-1",
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
      CACHE_BUCKET: bucket,
      CACHE_BUCKET_ENDPOINT: inject("swiftProxyUrl"),
      CACHE_BUCKET_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test:tester",
      AWS_SECRET_ACCESS_KEY: "testing",
    },
    { streaming: true },
  );
  const result = results[0]?.result;
  expect(result?.statusCode).toBe(200);
  const host = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws";
  expect(bodyText(result ?? {})).toContain(
    `set swiftboot-chain ${`https://${host}/boot.ipxe`.padEnd(CHAIN_URL_SLOT_LENGTH, " ")}\n`,
  );
});
