import { generateKeyPairSync } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  FRONT_HOST,
  FUNCTION_URL_HOST,
  KERNEL_BYTES,
  RAMDISK_BYTES,
  SAMPLE_ARTIFACT_KEY,
  sampleNode,
  VIEWER_IP,
} from "../../../events/fixtures.ts";
import { verifyCloudFrontSignedUrl } from "../../support/cloudfront-verify.ts";
import { createTestBucket, deleteBucket, swiftS3Client } from "../cache/s3-helpers.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { bodyText, invokeBundle, invokeStreamedText } from "./invoke.ts";
import { startOrigin } from "./origin.ts";
import { seedSampleTable } from "./seed.ts";

/**
 * The bundles as the deployed stack runs them behind its CloudFront front: events shaped as
 * CloudFront with Origin Access Control delivers them (events/front-*.json), the functions'
 * environment as infra/stack.ts sets it. Scripts and redirects must name the front, never the
 * Function URL; the artifacts function answers 302 to a CloudFront signed URL of the filled
 * object, checked here as CloudFront checks it; the admin function takes the IAM principal.
 */
let bundles: Record<string, string>;
let db: TestStore;
let bucket: string;
let origin: Awaited<ReturnType<typeof startOrigin>>;
const s3 = swiftS3Client();
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const KEY_PAIR_ID = "K3TESTFRONTKEY";
const trusted = new Map([[KEY_PAIR_ID, pair.publicKey]]);

beforeAll(async () => {
  origin = await startOrigin({ "/kernel": KERNEL_BYTES, "/ramdisk": RAMDISK_BYTES });
  [bundles, db, bucket] = (await Promise.all([
    buildForTest("boot", "artifacts", "admin"),
    seedSampleTable("lambda-front", {
      kernel: `${origin.url}/kernel`,
      ramdisk: `${origin.url}/ramdisk`,
    }),
    createTestBucket(s3, "lambda-front"),
  ])) as [Record<string, string>, TestStore, string];
});

afterAll(async () => {
  await origin?.close();
  if (bucket) await deleteBucket(s3, bucket);
  removeTestBuilds();
});

/** What every function of the stack gets behind the front (infra/stack.ts). */
function frontEnv(): Record<string, string> {
  return {
    SWIFTBOOT_STORE_TABLE: db.table,
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    SWIFTBOOT_STORE_REGION: "us-east-1",
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    SWIFTBOOT_FRONT_VIEWER_HEADERS: "true",
    SWIFTBOOT_FRONT_KEY_PAIR_ID: KEY_PAIR_ID,
    SWIFTBOOT_FRONT_PRIVATE_KEY: pair.privateKey
      .export({ type: "pkcs1", format: "pem" })
      .toString(),
  };
}

const urlsIn = (script: string) => script.match(/\bhttps?:\/\/[^\s]+/g) ?? [];

describe("boot bundle behind the front", () => {
  it("names the front in every URL of its scripts, over plain http", async () => {
    const { results, logs } = await invokeStreamedText(
      bundles.boot as string,
      [loadEvent("front-boot-first-stage"), loadEvent("front-boot-known-node")],
      frontEnv(),
    );
    const [first, known] = results.map((r) => r.result);
    expect(first?.statusCode).toBe(200);
    expect(first?.body).toContain(
      `chain --autofree --replace http://${FRONT_HOST}/boot/\${mac:hexhyp}.ipxe?`,
    );
    expect(known?.statusCode).toBe(200);
    expect(known?.body).toMatch(/^kernel .*\/v1\/artifacts\/sample-kernel\//m);
    const urls = [...urlsIn(first?.body ?? ""), ...urlsIn(known?.body ?? "")];
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls)
      expect(url).toMatch(new RegExp(`^http://${FRONT_HOST.replaceAll(".", "\\.")}(/|$)`));
    expect(`${first?.body}${known?.body}`).not.toContain(FUNCTION_URL_HOST);
    // The machine is the viewer, not CloudFront's edge server.
    const requests = logs.filter((l) => l.msg === "request");
    expect(requests[1]).toMatchObject({ client: VIEWER_IP });
  });

  it("trusts no viewer header without front.viewer_headers", async () => {
    const { SWIFTBOOT_FRONT_VIEWER_HEADERS: _v, ...untrusting } = frontEnv();
    const { results } = await invokeStreamedText(
      bundles.boot as string,
      [loadEvent("front-boot-first-stage")],
      untrusting,
    );
    expect(results[0]?.result.body).toContain(`https://${FUNCTION_URL_HOST}/boot/`);
    expect(results[0]?.result.body).not.toContain(FRONT_HOST);
  });

  it("answers 400 to a viewer host that is not a host name", async () => {
    const event = loadEvent("front-boot-first-stage") as { headers: Record<string, string> };
    event.headers["x-swiftboot-viewer-host"] = "evil.example${x}";
    const { results } = await invokeStreamedText(bundles.boot as string, [event], frontEnv());
    expect(results[0]?.result.statusCode).toBe(400);
    expect(results[0]?.result.body).toContain("not a plain host name");
    expect(results[0]?.result.body).not.toMatch(/chain/);
  });
});

describe("artifacts bundle behind the front", () => {
  it("fills a miss, then redirects to a CloudFront signed URL of the object on the front", async () => {
    const started = Math.floor(Date.now() / 1000);
    const { results, logs } = await invokeBundle(
      bundles.artifacts as string,
      [
        loadEvent("front-artifact-get"),
        loadEvent("front-artifact-get"),
        loadEvent("front-artifact-head"),
      ],
      {
        ...frontEnv(),
        CACHE_BUCKET: bucket,
        CACHE_BUCKET_ENDPOINT: inject("swiftProxyUrl"),
        CACHE_BUCKET_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test:tester",
        AWS_SECRET_ACCESS_KEY: "testing",
      },
      { streaming: true },
    );
    const [miss, hit, head] = results.map((r) => r.result);
    for (const answer of [miss, hit, head]) {
      expect(answer?.statusCode).toBe(302);
      expect(answer?.headers?.["cache-control"]).toBe("no-store");
      expect(bodyText(answer ?? {})).toBe("");
    }
    const location = miss?.headers?.location as string;
    const url = new URL(location);
    expect(url.origin).toBe(`http://${FRONT_HOST}`);
    expect(url.pathname).toMatch(/^\/artifacts\/sample-ramdisk\/[0-9a-f]{32}$/);
    const verdict = verifyCloudFrontSignedUrl(location, trusted, started);
    expect(verdict).toMatchObject({ ok: true });
    // Short-lived: front.url_duration (120 s) from now.
    const expires = Number(url.searchParams.get("Expires"));
    expect(expires - started).toBeGreaterThanOrEqual(118);
    expect(expires - started).toBeLessThanOrEqual(125);
    expect(verifyCloudFrontSignedUrl(location, trusted, expires).ok).toBe(false);
    // The object the signed URL names is in the bucket, whole: the distribution serves it.
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: url.pathname.slice(1) }),
    );
    expect(await object.Body?.transformToString()).toBe(RAMDISK_BYTES);
    expect(origin.hits.filter((h) => h === "/ramdisk")).toHaveLength(1);
    const requests = logs.filter((l) => l.msg === "request");
    expect(requests.map((l) => l.cache)).toEqual(["wait", "hit", "hit"]);
    expect(requests[0]).toMatchObject({ redirect: "cloudfront" });
  });

  it("checks swiftboot's signature before anything: a tampered one is 403, no redirect", async () => {
    const event = loadEvent("front-artifact-get") as { rawQueryString: string };
    event.rawQueryString = event.rawQueryString.replace(/sig=./, "sig=0");
    const { results } = await invokeBundle(
      bundles.artifacts as string,
      [event],
      { ...frontEnv(), CACHE_BUCKET: bucket, CACHE_BUCKET_ENDPOINT: inject("swiftProxyUrl") },
      { streaming: true },
    );
    expect(results[0]?.result.statusCode).toBe(403);
    expect(results[0]?.result.headers?.location).toBeUndefined();
  });
});

describe("admin bundle with IAM principals", () => {
  const adminEnv = (principals: string) => ({
    SWIFTBOOT_STORE_TABLE: db.table,
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    SWIFTBOOT_STORE_REGION: "us-east-1",
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    SWIFTBOOT_ADMIN_IAM_PRINCIPALS: principals,
  });

  it("accepts the principal AWS verified, names it in the log, and refuses an event without one", async () => {
    const unsigned = loadEvent("admin-iam-list-nodes") as {
      requestContext: Record<string, unknown>;
    };
    delete unsigned.requestContext.authorizer;
    const { results, logs } = await invokeBundle(
      bundles.admin as string,
      [loadEvent("admin-iam-list-nodes"), unsigned],
      adminEnv("admin:arn:aws:iam::123456789012:user/*"),
    );
    const [signed, without] = results.map((r) => r.result);
    expect(signed?.statusCode).toBe(200);
    const page = JSON.parse(signed?.body ?? "{}") as { items: { id: string }[] };
    expect(page.items.map((n) => n.id)).toEqual([sampleNode.id]);
    expect(without?.statusCode).toBe(401);
    const requests = logs.filter((l) => l.msg === "request");
    expect(requests[0]).toMatchObject({ actor: "arn:aws:iam::123456789012:user/operator" });
  });

  it("refuses a principal no entry names, and writes by a read principal", async () => {
    const put = loadEvent("admin-put-image") as { headers: Record<string, string> };
    delete put.headers.authorization;
    const { results } = await invokeBundle(
      bundles.admin as string,
      [loadEvent("admin-iam-list-nodes"), put],
      adminEnv("read:arn:aws:iam::123456789012:user/operator,admin:arn:aws:iam::999999999999:*"),
    );
    const [read, write] = results.map((r) => r.result);
    expect(read?.statusCode).toBe(200);
    expect(write?.statusCode).toBe(403);
    const { results: other } = await invokeBundle(
      bundles.admin as string,
      [loadEvent("admin-iam-list-nodes")],
      adminEnv("admin:arn:aws:iam::123456789012:role/Ops"),
    );
    expect(other[0]?.result.statusCode).toBe(403);
    expect(other[0]?.result.body).toContain("not in admin.iam_principals");
  });

  it("never takes the IAM principal from a bearer header", async () => {
    const event = loadEvent("admin-list-nodes") as { requestContext: Record<string, unknown> };
    delete event.requestContext.authorizer;
    const { results } = await invokeBundle(
      bundles.admin as string,
      [event],
      adminEnv("admin:arn:aws:iam::123456789012:*"),
    );
    expect(results[0]?.result.statusCode).toBe(401);
  });
});
