import { mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ipxeBinaryKey } from "../../ipxe-binaries/serve.ts";
import { openFsCache } from "./fs.ts";

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

const stream = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });

it("local.cache_expiry_days expires artifacts only, never published iPXE binaries", async () => {
  const root = await mkdtemp(join(tmpdir(), "swiftboot-fs-cache-ipxe-"));
  roots.push(root);
  const cache = await openFsCache(root);
  const bytes = new Uint8Array([1, 2, 3]);
  const options = { contentType: "application/octet-stream" };
  await cache.put("artifacts/img/old", stream(bytes), options);
  await cache.put(ipxeBinaryKey("ipxe.efi"), stream(bytes), options);
  const longAgo = new Date(Date.now() - 400 * 24 * 60 * 60 * 1000);
  await utimes(join(root, "artifacts", "img", "old"), longAgo, longAgo);
  await utimes(join(root, "ipxe", "ipxe.efi"), longAgo, longAgo);
  expect(await cache.expire(30 * 24 * 60 * 60 * 1000)).toBe(1);
  expect(await cache.head("artifacts/img/old")).toBeUndefined();
  expect(await cache.head(ipxeBinaryKey("ipxe.efi"))).toMatchObject({ size: 3 });
});
