import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LoggedRequest, startForwardingProxy, type TestServer } from "./support/http.ts";
import { unwrapConsole } from "./support/qemu.ts";
import { objectPath, readSwiftAccessLog } from "./support/swift.ts";
import { requestLogs, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootWithSwiftboot } from "./support/vitest.ts";

/**
 * The retry path of a boot script, against the real local Swift: temp URLs that have expired by
 * the time the machine starts its download. A small proxy in front of Swift (test code; swiftboot
 * hands out its address as `swift.endpoint_url`) holds the machine's FIRST kernel GET until that
 * URL's `temp_url_expires` has passed, then passes it on unchanged. Swift refuses it (401), the
 * script's `|| goto retry` sleeps `ipxe.retry_delay` and re-chains `/boot/<mac>.ipxe?...&attempt=1`,
 * swiftboot mints fresh URLs, the proxy passes everything on at once, and the machine boots.
 *
 * Why the proxy holds a download rather than a tiny `swift.temp_url_duration` alone: the kernel
 * and ramdisk URLs of one script share one expiry (`now` rounded down + the lifetime), and iPXE
 * starts the ramdisk download only once the 14 MB kernel is in (0.3-4.3 s later under TCG here,
 * 4.3 s at load average 12). With a 1 s lifetime the ramdisk URL of every attempt, the retried one
 * too, would often be dead before it was used; URL_LIFETIME is long enough for a normal attempt
 * with room to spare, and only the held download outlives it (the test prints both figures).
 *
 * The proxy also records the URLs exactly as iPXE sent them (the stand-in Swift of earlier
 * versions did that): each must be the object path plus `temp_url_sig=<hex HMAC-SHA256 of
 * "GET\n<expires>\n<path>">&temp_url_expires=<expires>`, computed here independently of swiftboot.
 */

const swift = inject("e2eSwift");

const RETRY_MAC = "52:54:00:5b:01:01";
/** Seconds a temp URL lives (`swift.temp_url_duration`). */
const URL_LIFETIME = 10;

const kernelPath = objectPath(swift, swift.objects.deployKernel);
const ramdiskPath = objectPath(swift, swift.objects.deployRamdisk);

let proxy: TestServer;
let sb: Swiftboot;
/** The request the proxy held, and when it let it go (Unix seconds). */
let held:
  | { request: LoggedRequest; expires: number; releasedAt: number; heldMs: number }
  | undefined;

beforeAll(async () => {
  proxy = await startForwardingProxy(swift.proxyUrl, async (logged) => {
    const url = new URL(logged.url, "http://x");
    if (held !== undefined || logged.method !== "GET" || url.pathname !== kernelPath) return;
    const expires = Number(url.searchParams.get("temp_url_expires"));
    const since = performance.now();
    held = { request: logged, expires, releasedAt: 0, heldMs: 0 };
    // Swift refuses a temp URL once `expires < now`; half a second more for clock granularity.
    const waitMs = (expires + 0.5) * 1000 - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    held.releasedAt = Date.now() / 1000;
    held.heldMs = Math.round(performance.now() - since);
  });
  sb = await startSwiftboot({
    settings: {
      IPXE_USE_SWIFT: "true",
      SWIFT_ENDPOINT_URL: proxy.guestUrl(""),
      SWIFT_ACCOUNT: swift.account,
      SWIFT_CONTAINER: swift.container,
      SWIFT_TEMP_URL_KEY: swift.tempUrlKey,
      SWIFT_TEMP_URL_DURATION: String(URL_LIFETIME),
      IPXE_RETRY_DELAY: "1",
    },
  });
  await sb.importRecords({
    images: [
      { id: "retry-kernel", name: "retry kernel", swift: { object: swift.objects.deployKernel } },
      {
        id: "retry-ramdisk",
        name: "retry ramdisk",
        swift: { object: swift.objects.deployRamdisk },
      },
    ],
    nodes: [
      {
        id: "e2e-retry",
        name: "e2e-retry",
        macs: [RETRY_MAC],
        state: "deploying",
        deploy: { kernel: "retry-kernel", ramdisk: "retry-ramdisk" },
        kernel_args: "console=ttyS0 e2e=retry",
      },
    ],
  });
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await proxy?.close();
});

/** The temp URL swiftboot should have minted for `path`, computed the way Swift checks it. */
function expectedTempUrl(path: string, expires: number): string {
  const sig = createHmac("sha256", swift.tempUrlKey)
    .update(`GET\n${expires}\n${path}`)
    .digest("hex");
  return `${path}?temp_url_sig=${sig}&temp_url_expires=${expires}`;
}

describe("a download whose temp URL expired", () => {
  it("is retried by re-chaining for fresh URLs, and the machine boots", async () => {
    const swiftBefore = (await readSwiftAccessLog(swift)).length;
    const result = await bootWithSwiftboot(sb, {
      mac: RETRY_MAC,
      mode: "lkrn",
      report: {
        "requests through the proxy in front of Swift": () =>
          proxy.requests.map((r) => `+${r.at} ms ${r.method} ${r.url} ${r.status}`),
        "Swift proxy access log": async () =>
          (await readSwiftAccessLog(swift)).slice(swiftBefore).map((a) => a.line),
      },
    });

    expect(result.end).toBe("marker");
    expect(result.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      "BOOTIF=01-52-54-00-5b-01-01",
      expect.stringMatching(/^swiftboot\.callback=http:\/\/10\.0\.2\.2:\d+\/v1\/callbacks\/node\//),
      "console=ttyS0",
      "e2e=retry",
    ]);

    // The console: attempt 1, Swift's 401, the retry message, attempt 2.
    const text = unwrapConsole(result.transcript);
    const steps = [
      "swiftboot: deploy boot of node e2e-retry: kernel retry kernel, ramdisk retry ramdisk (attempt 1 of 4)",
      "Permission denied",
      "swiftboot: download or boot failed, fetching fresh URLs in 1 s (attempt 2 of 4)",
      "swiftboot: deploy boot of node e2e-retry: kernel retry kernel, ramdisk retry ramdisk (attempt 2 of 4)",
    ];
    let from = 0;
    for (const step of steps) {
      const at = text.indexOf(step, from);
      expect(at, `console shows "${step}" after the previous step`).toBeGreaterThanOrEqual(0);
      from = at + step.length;
    }

    // swiftboot: attempt 0, then the re-chained attempt 1, each minting URLs.
    const scripts = requestLogs(sb, "/boot/52-54-00-5b-01-01.ipxe");
    expect(scripts.map((l) => [l.status, l.outcome, l.attempt])).toEqual([
      [200, "boot", 0],
      [200, "boot", 1],
    ]);
    const [first, second] = scripts.map((l) => Number(l.expires_at));
    const [, kernel2, ramdisk2] = proxy.requests;
    // The margin URL_LIFETIME leaves: the ramdisk GET must start before the URLs expire.
    console.log(
      `e2e: retry: first kernel GET held ${held?.heldMs} ms; ` +
        `attempt 2's ramdisk GET started ${(ramdisk2?.at ?? 0) - (kernel2?.at ?? 0)} ms after its kernel GET ` +
        `(URL lifetime ${URL_LIFETIME} s)`,
    );

    // What iPXE asked for, byte for byte, and what the real Swift answered: the held kernel
    // GET (attempt 0's URL, already expired) 401, then attempt 1's kernel and ramdisk 200.
    expect(proxy.requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
      `GET ${expectedTempUrl(kernelPath, first as number)} 401`,
      `GET ${expectedTempUrl(kernelPath, second as number)} 200`,
      `GET ${expectedTempUrl(ramdiskPath, second as number)} 200`,
    ]);
    expect(held?.expires).toBe(first);
    expect(held?.releasedAt).toBeGreaterThan(first as number);
    const swiftSaw = (await readSwiftAccessLog(swift)).slice(swiftBefore);
    expect(swiftSaw.map((a) => `${a.path} ${a.status}`)).toEqual([
      `${kernelPath} 401`,
      `${kernelPath} 200`,
      `${ramdiskPath} 200`,
    ]);
    // Swift refused the first URL for its age: it got the request after the URL's expiry.
    expect(swiftSaw[0]?.start).toBeGreaterThan(first as number);
    expect(swiftSaw[1]?.start).toBeLessThanOrEqual(second as number);
  });
});
