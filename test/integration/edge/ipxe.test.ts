import { createHash } from "node:crypto";
import { dirname } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { SAMPLE_ARTIFACT_KEY } from "../../../events/fixtures.ts";
import { ipxeBinaryKey } from "../../../shared/ipxe-binaries/serve.ts";
import { CHAIN_URL_SLOT_LENGTH, embeddedScript } from "../../../shared/ipxe-binaries/slot.ts";
import { ownTmpMiniflare } from "../../support/miniflare.ts";
import { buildForTest, removeTestBuilds } from "../lambda/bundles.ts";
import { seedSampleTable } from "../lambda/seed.ts";

/**
 * `GET /ipxe/<name>` on Workers: the built Worker bundle in workerd (miniflare), the binary in
 * R2 where `swiftboot ipxe publish --bucket --endpoint` puts it, the chain URL patched in from
 * the request's origin. A stand-in binary with the real embedded script (the real builds are
 * booted in test/e2e).
 */
let mf: Miniflare;
let dispose: (() => Promise<void>) | undefined;
const HOST = "https://boot.example.workers.dev";
const BINARY = new TextEncoder().encode(
  `MZ${"\u0000".repeat(4000)}${embeddedScript()}\u0000\u0000`,
);

beforeAll(async () => {
  const [{ worker }, db] = await Promise.all([
    buildForTest("worker"),
    seedSampleTable("edge-ipxe"),
  ]);
  ({ mf, dispose } = ownTmpMiniflare({
    modules: true,
    scriptPath: worker as string,
    modulesRoot: dirname(worker as string),
    compatibilityDate: "2026-01-01",
    compatibilityFlags: ["nodejs_compat"],
    r2Buckets: ["CACHE"],
    bindings: {
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_REGION: "us-east-1",
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
      AWS_ACCESS_KEY_ID: "swiftboot",
      AWS_SECRET_ACCESS_KEY: "swiftboot",
    },
  }));
  const bucket = await mf.getR2Bucket("CACHE");
  const sha256 = createHash("sha256").update(BINARY).digest("hex");
  await bucket.put(ipxeBinaryKey("ipxe.efi"), BINARY, {
    httpMetadata: { contentType: "application/octet-stream" },
    customMetadata: { sha256 },
    sha256,
  });
}, 120_000);

afterAll(async () => {
  await dispose?.();
  removeTestBuilds();
});

it("serves ipxe.efi from R2 with the Worker's own chain URL patched in", async () => {
  const res = await mf.dispatchFetch(`${HOST}/ipxe/ipxe.efi`);
  expect(res.status).toBe(200);
  const body = new Uint8Array(await res.arrayBuffer());
  expect(body.length).toBe(BINARY.length);
  const text = new TextDecoder().decode(body);
  expect(text).toContain(
    `set swiftboot-chain ${`${HOST}/boot.ipxe`.padEnd(CHAIN_URL_SLOT_LENGTH, " ")}\n`,
  );
  expect(res.headers.get("etag")).toBe(`"${createHash("sha256").update(body).digest("hex")}"`);
  const range = await mf.dispatchFetch(`${HOST}/ipxe/ipxe.efi`, {
    headers: { Range: "bytes=0-1" },
  });
  expect(range.status).toBe(206);
  expect(await range.text()).toBe("MZ");
  const missing = await mf.dispatchFetch(`${HOST}/ipxe/undionly.kpxe`);
  expect(missing.status).toBe(404);
  await missing.arrayBuffer();
});
