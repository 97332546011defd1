import { createHash, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadUrls, startTestServer, type TestServer } from "../../support/app-server.ts";
import { SwiftClient } from "../../support/swift-client.ts";
import { createTestStore, node, type TestStore } from "../store/helpers.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * The product's promise in Swift mode: a node's script, rendered by the real app, holds URLs that a
 * plain HTTP client can fetch from a real Swift exactly as written, and get the right bytes.
 */
describe("use_swift = true against a real Swift", () => {
  const key = `tempurl-key-${randomUUID()}`;
  const container = `boot-${randomUUID().slice(0, 8)}`;
  const kernel = new Uint8Array(randomBytes(200_000));
  const ramdisk = new Uint8Array(randomBytes(300_000));
  // Object names that need percent-encoding, as real image names sometimes do.
  const kernelObject = "ipa/deploy kernel+v1.vmlinuz";
  const ramdiskObject = "ipa/deploy%ramdisk.initramfs";
  let swift: SwiftClient;
  let db: TestStore;
  let server: TestServer;

  beforeAll(async () => {
    swift = SwiftClient.fromInject();
    // A container key, so this file can't disturb tests rotating the account's keys.
    await swift.putContainer(container);
    await swift.setTempUrlKeys({ scope: "container", container }, { key });
    await swift.putObject(container, kernelObject, kernel);
    await swift.putObject(container, ramdiskObject, ramdisk);

    db = await createTestStore("swift-mode");
    await db.store.putImage({
      id: "k",
      name: "kernel",
      swift: { container, object: kernelObject },
    });
    await db.store.putImage({ id: "r", name: "ramdisk", swift: { object: ramdiskObject } });
    await db.store.putNode(
      node({
        id: "n1",
        macs: ["52:54:00:12:34:56"],
        state: "deploying",
        deploy: { kernel: "k", ramdisk: "r" },
      }),
    );
    server = await startTestServer(db.store, {
      SWIFTBOOT_IPXE_USE_SWIFT: "true",
      SWIFTBOOT_SWIFT_ENDPOINT_URL: swift.proxyUrl,
      SWIFTBOOT_SWIFT_ACCOUNT: swift.account,
      SWIFTBOOT_SWIFT_CONTAINER: container, // the ramdisk image names no container
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: key,
      SWIFTBOOT_SWIFT_TEMP_URL_DURATION: "60",
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("renders temp URLs that fetch the right bytes, and HEAD works with the GET signature", async () => {
    const script = await (await fetch(`${server.url}/boot/52-54-00-12-34-56.ipxe`)).text();
    const urls = downloadUrls(script);
    expect(urls.kernel.startsWith(`${swift.proxyUrl}/v1/${swift.account}/${container}/`)).toBe(
      true,
    );
    for (const [url, bytes] of [
      [urls.kernel, kernel],
      [urls.initrd, ramdisk],
    ] as const) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(bytes));
      const head = await fetch(url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(bytes.length));
    }
  });

  it("mints fresh URLs on every request", async () => {
    const a = downloadUrls(await (await fetch(`${server.url}/boot/52-54-00-12-34-56.ipxe`)).text());
    await new Promise((r) => setTimeout(r, 1100));
    const b = downloadUrls(await (await fetch(`${server.url}/boot/52-54-00-12-34-56.ipxe`)).text());
    expect(a.kernel).not.toBe(b.kernel);
    expect((await fetch(b.kernel, { method: "HEAD" })).status).toBe(200);
  });

  it("a URL signed with another key is refused by Swift", async () => {
    const other = await startTestServer(db.store, {
      SWIFTBOOT_IPXE_USE_SWIFT: "true",
      SWIFTBOOT_SWIFT_ENDPOINT_URL: swift.proxyUrl,
      SWIFTBOOT_SWIFT_ACCOUNT: swift.account,
      SWIFTBOOT_SWIFT_CONTAINER: container,
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: `wrong-key-${randomUUID()}`,
    });
    try {
      const urls = downloadUrls(
        await (await fetch(`${other.url}/boot/52-54-00-12-34-56.ipxe`)).text(),
      );
      expect((await fetch(urls.kernel)).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
