import { createHash } from "node:crypto";
import { dirname } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  KERNEL_BYTES,
  KNOWN_MAC,
  RAMDISK_BYTES,
  SAMPLE_ARTIFACT_KEY,
  SOURCE_IP,
  UNKNOWN_MAC,
} from "../../../events/fixtures.ts";
import { ownTmpMiniflare } from "../../support/miniflare.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "../lambda/bundles.ts";
import { seedSampleTable } from "../lambda/seed.ts";

/**
 * The built Worker bundle (dist/edge/worker.js) in workerd through miniflare, with an R2 bucket
 * and DynamoDB Local reached over HTTP with SigV4: the same requests as the Lambda sample events,
 * the same answers.
 */
let mf: Miniflare;
let disposeMiniflare: (() => Promise<void>) | undefined;
const HOST = "https://boot.example.workers.dev";

beforeAll(async () => {
  const [{ worker }, db] = await Promise.all([buildForTest("worker"), seedSampleTable("edge")]);
  ({ mf, dispose: disposeMiniflare } = ownTmpMiniflare({
    modules: true,
    scriptPath: worker as string,
    // The bundle lives in a temporary directory; module paths are resolved from here.
    modulesRoot: dirname(worker as string),
    compatibilityDate: "2026-01-01",
    compatibilityFlags: ["nodejs_compat"],
    r2Buckets: ["CACHE"],
    bindings: {
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_REGION: "us-east-1",
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
      // DynamoDB Local keeps data per access key: the pair the seeding store used.
      AWS_ACCESS_KEY_ID: "swiftboot",
      AWS_SECRET_ACCESS_KEY: "swiftboot",
    },
  }));
  // Cached artifacts, as a fill would have left them (keys: shared/cache/keys.ts).
  const bucket = await mf.getR2Bucket("CACHE");
  for (const [event, bytes] of [
    ["artifact-get", KERNEL_BYTES],
    ["artifact-range", RAMDISK_BYTES],
  ] as const) {
    const [, , , imageId, contentId] = String(loadEvent(event).rawPath).split("/");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await bucket.put(`artifacts/${imageId}/${contentId}`, bytes, {
      httpMetadata: { contentType: "application/octet-stream" },
      customMetadata: { sha256 },
      sha256,
    });
  }
}, 120_000);

afterAll(async () => {
  await disposeMiniflare?.();
  removeTestBuilds();
});

/** The request a sample event describes, sent to the Worker (at `base`, HOST by default). */
async function send(name: string, base = HOST) {
  const event = loadEvent(name) as {
    rawPath: string;
    rawQueryString: string;
    headers: Record<string, string>;
    requestContext: { http: { method: string } };
  };
  const { host: _host, ...headers } = event.headers;
  const query = event.rawQueryString === "" ? "" : `?${event.rawQueryString}`;
  const res = await mf.dispatchFetch(`${base}${event.rawPath}${query}`, {
    method: event.requestContext.http.method,
    headers: { ...headers, "cf-connecting-ip": SOURCE_IP },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const hyphenated = (mac: string) => mac.replaceAll(":", "-");

describe("worker bundle in workerd", () => {
  it("chains from /boot.ipxe", async () => {
    const res = await send("boot-first-stage");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.text).toContain(`chain --autofree --replace ${HOST}/boot/\${mac:hexhyp}.ipxe?`);
  });

  it("serves the known node's deploy script with signed artifact URLs", async () => {
    const res = await send("boot-known-node");
    expect(res.status).toBe(200);
    expect(res.text).toMatch(
      new RegExp(
        `^kernel --name kernel ${HOST.replaceAll(".", "\\.")}/v1/artifacts/sample-kernel/[0-9a-f]{32}/vmlinuz\\?expires=\\d+&sig=[0-9a-f]{64} initrd=ramdisk BOOTIF=01-${hyphenated(KNOWN_MAC)} `,
        "m",
      ),
    );
  });

  it("explains an unknown machine", async () => {
    const res = await send("boot-unknown-node");
    expect(res.status).toBe(200);
    expect(res.text).toContain("unknown machine");
    expect(res.text).toContain(UNKNOWN_MAC);
  });

  it("serves a cached artifact from R2: GET, HEAD and a Range", async () => {
    const get = await send("artifact-get");
    expect(get.status).toBe(200);
    expect(get.text).toBe(KERNEL_BYTES);
    expect(get.headers.get("content-length")).toBe(String(KERNEL_BYTES.length));

    const head = await send("artifact-head");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers.get("content-length")).toBe(String(KERNEL_BYTES.length));

    const range = await send("artifact-range");
    expect(range.status).toBe(206);
    expect(range.text).toBe(RAMDISK_BYTES.slice(0, 100));
    expect(range.headers.get("content-range")).toBe(`bytes 0-99/${RAMDISK_BYTES.length}`);
  });
});

/**
 * Stock iPXE speaks plain HTTP only (docs/deploy.md): a Worker reached over http must answer it,
 * and every URL in its scripts must keep to http, or the machine stops at the next fetch.
 */
describe("worker bundle over plain HTTP", () => {
  const HTTP_HOST = HOST.replace(/^https:/, "http:");
  /** Every URL in a script (iPXE URLs end at whitespace). */
  const urlsIn = (script: string) => script.match(/\bhttps?:\/\/\S+/g) ?? [];
  /** The Worker's own host over http (a message may name the bare base URL). */
  const onHttpHost = (url: string) => url === HTTP_HOST || url.startsWith(`${HTTP_HOST}/`);

  it("answers /boot.ipxe with a chain URL on http", async () => {
    const res = await send("boot-first-stage", HTTP_HOST);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`chain --autofree --replace ${HTTP_HOST}/boot/\${mac:hexhyp}.ipxe?`);
    const urls = urlsIn(res.text);
    expect(urls).not.toEqual([]);
    for (const url of urls) expect(onHttpHost(url), url).toBe(true);
  });

  it("serves a node script whose artifact URLs are http, and the artifacts over http", async () => {
    const res = await send("boot-known-node", HTTP_HOST);
    expect(res.status).toBe(200);
    const urls = urlsIn(res.text);
    const kernel = urls.find((url) => url.includes("/v1/artifacts/sample-kernel/"));
    expect(kernel).toBeDefined();
    for (const url of urls) expect(onHttpHost(url), url).toBe(true);
    // The signed URL, as iPXE would fetch it: plain HTTP, answered from R2, no redirect to https.
    const got = await mf.dispatchFetch(kernel as string, { redirect: "manual" });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(KERNEL_BYTES);
  });
});
