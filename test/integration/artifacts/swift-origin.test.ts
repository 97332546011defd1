import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { SwiftClient } from "../../support/swift-client.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  artifactUrl,
  cacheKeyOf,
  download,
  random,
  SIGNING_KEY,
  sha256,
  tempCache,
  until,
} from "./helpers.ts";

/**
 * Cache mode (use_swift = false) with swift.* configured: images without an origin URL are
 * filled from their Swift object through a temp URL swiftboot signs itself, from a real Swift.
 */
describe("fill from a real Swift object", () => {
  const key = `tempurl-key-${randomUUID()}`;
  const container = `artifacts-${randomUUID().slice(0, 8)}`;
  const kernel = random(1_500_000);
  const object = "ipa/deploy kernel+v2.vmlinuz"; // needs percent-encoding
  let swift: SwiftClient;
  let db: TestStore;
  let cache: Awaited<ReturnType<typeof tempCache>>;
  let server: TestServer;

  beforeAll(async () => {
    swift = SwiftClient.fromInject();
    await swift.putContainer(container);
    await swift.setTempUrlKeys({ scope: "container", container }, { key });
    await swift.putObject(container, object, kernel);
    db = await createTestStore("artifacts-swift");
    cache = await tempCache();
    server = await startTestServer(
      db.store,
      {
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY,
        SWIFTBOOT_SWIFT_ENDPOINT_URL: swift.proxyUrl,
        SWIFTBOOT_SWIFT_ACCOUNT: swift.account,
        SWIFTBOOT_SWIFT_CONTAINER: container,
        SWIFTBOOT_SWIFT_TEMP_URL_KEY: key,
      },
      { cache: cache.cache },
    );
  });

  afterAll(async () => {
    await server?.close();
    await cache?.remove();
    await swift?.deleteContainer(container);
  });

  it("serves the object's bytes and caches them", async () => {
    // No container on the image: swift.container applies, to the fill and to the content id.
    const image = {
      id: "swift-kernel",
      name: "kernel",
      swift: { object },
      size: kernel.byteLength,
      sha256: sha256(kernel),
    };
    await db.store.putImage(image);
    const url = artifactUrl(server.url, image, { defaultContainer: container });
    expect(url.startsWith(server.url)).toBe(true);
    const res = await download(url);
    expect(res.status).toBe(200);
    expect(sha256(res.bytes as Uint8Array)).toBe(sha256(kernel));
    const k = cacheKeyOf(image, container);
    await until(async () => (await cache.cache.head(k)) !== undefined);
    expect(await cache.cache.head(k)).toMatchObject({ size: kernel.byteLength });
    expect((await download(url)).headers.get("etag")).toBe(`"${sha256(kernel)}"`);
    expect(
      server
        .logs()
        .filter((l) => l.image === "swift-kernel")
        .map((l) => l.cache),
    ).toEqual(["fill", "hit"]);
    // The temp URL swiftboot signed for itself never reaches a log line.
    expect(server.rawLogs.join("\n")).not.toContain("temp_url_sig=");
  });

  it("a missing Swift object is a 502 (Swift answers 404 to the fill)", async () => {
    const image = {
      id: "swift-missing",
      name: "missing",
      swift: { container, object: "nope" },
      size: 10,
    };
    await db.store.putImage(image);
    const res = await download(artifactUrl(server.url, image));
    expect(res.status).toBe(502);
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("without a temp URL key, an image with no origin cannot be filled: 502, no Retry-After", async () => {
    const bare = await startTestServer(
      db.store,
      { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SIGNING_KEY },
      { cache: cache.cache },
    );
    try {
      const image = { id: "swift-nokey", name: "nokey", swift: { container, object }, size: 1 };
      await db.store.putImage(image);
      const res = await download(artifactUrl(bare.url, image));
      expect(res.status).toBe(502);
      expect(res.headers.get("retry-after")).toBeNull();
      expect(new TextDecoder().decode(res.bytes)).toContain("has no origin URL");
    } finally {
      await bare.close();
    }
  });
});
