import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadUrls, startTestServer, type TestServer } from "../../support/app-server.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  faultMac,
  faultNodes,
  freePort,
  macPath,
  seed,
  TEMP_URL_KEY,
  timedGet,
} from "./helpers.ts";

/**
 * Swift is down (nothing listens at `swift.endpoint_url`): minting temp URLs is local HMAC work,
 * so swiftboot keeps serving Swift-mode scripts; the machine's download then fails and the
 * script's retry path (fresh URLs, attempt+1, then the fail action) takes over.
 */
let db: TestStore;
let server: TestServer;
let swiftPort: number;

beforeAll(async () => {
  db = await createTestStore("faults-swift");
  await seed(db.store, faultNodes(3));
  swiftPort = await freePort(); // free a moment ago, and nothing is started on it
  server = await startTestServer(db.store, {
    SWIFTBOOT_IPXE_USE_SWIFT: "true",
    SWIFTBOOT_SWIFT_ENDPOINT_URL: `http://127.0.0.1:${swiftPort}`,
    SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
    SWIFTBOOT_SWIFT_TEMP_URL_KEY: TEMP_URL_KEY,
    SWIFTBOOT_IPXE_RETRIES: "2",
  });
});

afterAll(async () => {
  await server?.close();
});

describe("Swift unreachable", () => {
  it("still serves Swift-mode scripts with temp URLs, promptly", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await timedGet(`${server.url}${macPath(faultMac(i))}`);
      expect(res.status).toBe(200);
      expect(scriptProblems(res.text)).toEqual([]);
      const { kernel, initrd } = downloadUrls(res.text);
      for (const url of [kernel, initrd]) {
        expect(url.startsWith(`http://127.0.0.1:${swiftPort}/v1/AUTH_test/images/ipa/`)).toBe(true);
        expect(url).toMatch(/[?&]temp_url_sig=[0-9a-f]{64}&temp_url_expires=\d+$/);
      }
      // The download fails; the script says what happens then: retry with fresh URLs.
      expect(res.text).toMatch(/^kernel .* \|\| goto retry$/m);
      expect(res.text).toMatch(/attempt=1 \|\| goto fail$/m);
    }
  });

  it("really has no Swift behind it (the machine's download would fail)", async () => {
    const res = await timedGet(`${server.url}${macPath(faultMac(0))}`);
    const { kernel } = downloadUrls(res.text);
    await expect(fetch(kernel, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  });

  it("logs the request as a Swift-mode boot, without the key or a signature", async () => {
    await timedGet(`${server.url}${macPath(faultMac(1))}`);
    expect(server.logs().at(-1)).toMatchObject({ status: 200, url_mode: "swift", outcome: "boot" });
    const all = server.rawLogs.join("\n");
    expect(all).not.toContain(TEMP_URL_KEY);
    expect(all).not.toMatch(/temp_url_sig=[0-9a-f]{16}/);
  });
});
