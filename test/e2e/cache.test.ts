import { createHash } from "node:crypto";
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sendFile, sendText, startTestServer, type TestServer } from "./support/http.ts";
import { unwrapConsole } from "./support/qemu.ts";
import { objectPath, readSwiftAccessLog } from "./support/swift.ts";
import { type LogLine, requestLogs, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootWithSwiftboot } from "./support/vitest.ts";

/**
 * Cache mode (`ipxe.use_swift = false`, the default): the scripts point at swiftboot's own signed
 * artifact URLs (`/v1/artifacts/...`), which the local server answers from its directory cache
 * (`<local.data_dir>/cache`), filling it from each image's origin on a miss. The same deploying
 * node boots twice: the first boot fills the cache, the second is served from it, which is checked
 * in the cache directory, in what the origins were asked for and in swiftboot's request log.
 *
 * Two origins, one per image, so both ways of filling are covered: the kernel has an `origin` URL
 * (a static server in this file, on 127.0.0.1: it is swiftboot that fetches, not the guest); the
 * ramdisk has none and is filled from its object in the real local Swift, through a temp URL
 * swiftboot signs for itself (`swift.*` set to the proxy as the host reaches it).
 */

const payload = inject("e2ePayload");
const swift = inject("e2eSwift");

const CACHE_MAC = "52:54:00:5b:02:01";
const KERNEL_ID = "e2e-cache-kernel";
const RAMDISK_ID = "e2e-cache-ramdisk";

const fileFacts = (path: string) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
};
const KERNEL = fileFacts(payload.kernel);
const INITRD = fileFacts(payload.initrd);

let origin: TestServer;
let sb: Swiftboot;

beforeAll(async () => {
  origin = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/origin/vmlinuz") return sendFile(res, payload.kernel);
    sendText(res, 404, "not found\n");
  });
  sb = await startSwiftboot({
    settings: {
      // Cache mode is the default; said here so the test does not depend on it.
      IPXE_USE_SWIFT: "false",
      // For the ramdisk's fill from Swift: as swiftboot (on the host) reaches it.
      SWIFT_ENDPOINT_URL: swift.proxyUrl,
      SWIFT_ACCOUNT: swift.account,
      SWIFT_CONTAINER: swift.container,
      SWIFT_TEMP_URL_KEY: swift.tempUrlKey,
    },
  });
  await sb.importRecords({
    images: [
      {
        id: KERNEL_ID,
        name: "e2e cache kernel",
        swift: { object: swift.objects.deployKernel },
        origin: `http://127.0.0.1:${origin.port}/origin/vmlinuz`,
        size: KERNEL.size,
        sha256: KERNEL.sha256,
      },
      {
        id: RAMDISK_ID,
        name: "e2e cache ramdisk",
        swift: { object: swift.objects.deployRamdisk },
        size: INITRD.size,
        sha256: INITRD.sha256,
      },
    ],
    nodes: [
      {
        id: "e2e-cache",
        name: "e2e-cache",
        macs: [CACHE_MAC],
        state: "deploying",
        deploy: { kernel: KERNEL_ID, ramdisk: RAMDISK_ID },
        kernel_args: "console=ttyS0 e2e=cache",
      },
    ],
  });
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await origin?.close();
});

interface CachedFile {
  /** `artifacts/<image>/<content>` */
  key: string;
  size: number;
  sha256: string;
  ino: number;
  mtimeMs: number;
}

/** The data files in swiftboot's directory cache (dot files are its sidecars and temp files). */
function cachedFiles(): CachedFile[] {
  const root = join(sb.dataDir, "cache");
  const out: CachedFile[] = [];
  const walk = (dir: string, prefix: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, `${prefix}${e.name}/`);
      else if (e.isFile()) {
        const st = statSync(path);
        out.push({
          key: `${prefix}${e.name}`,
          size: st.size,
          sha256: createHash("sha256").update(readFileSync(path)).digest("hex"),
          ino: st.ino,
          mtimeMs: st.mtimeMs,
        });
      }
    }
  };
  walk(root, "");
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

const artifactLogs = (logs: LogLine[]) =>
  logs.filter(
    (l) => l.msg === "request" && typeof l.path === "string" && l.path.startsWith("/v1/artifacts/"),
  );

async function bootCacheNode(mode: "rom" | "lkrn") {
  const originBefore = origin.requests.length;
  const swiftBefore = (await readSwiftAccessLog(swift)).length;
  const result = await bootWithSwiftboot(sb, {
    mac: CACHE_MAC,
    mode,
    report: {
      "origin server requests": () =>
        origin.requests.slice(originBefore).map((r) => `${r.method} ${r.url} ${r.status}`),
      "Swift proxy access log": async () =>
        (await readSwiftAccessLog(swift)).slice(swiftBefore).map((a) => a.line),
      "cache directory": () => cachedFiles().map((f) => `${f.key} ${f.size} ${f.sha256}`),
    },
  });
  expect(result.end).toBe("marker");
  expect(result.marker?.cmdline.split(/\s+/)).toEqual([
    "initrd=ramdisk",
    "BOOTIF=01-52-54-00-5b-02-01",
    expect.stringMatching(/^swiftboot\.callback=http:\/\/10\.0\.2\.2:\d+\/v1\/callbacks\/node\//),
    "console=ttyS0",
    "e2e=cache",
  ]);
  const text = unwrapConsole(result.transcript);
  expect(text).toContain(
    "swiftboot: deploy boot of node e2e-cache: kernel e2e cache kernel, ramdisk e2e cache ramdisk (attempt 1 of 4)",
  );
  // iPXE prints each URL it downloads: both came from swiftboot's artifact route.
  expect(text).toContain(sb.guestUrl("/v1/artifacts/"));
  const script = requestLogs(sb, "/boot/52-54-00-5b-02-01.ipxe").at(-1);
  expect(script).toMatchObject({ status: 200, outcome: "boot", url_mode: "artifacts" });
  return {
    ...result,
    artifacts: artifactLogs(result.logs),
    originRequests: origin.requests.slice(originBefore),
    swiftRequests: (await readSwiftAccessLog(swift)).slice(swiftBefore),
  };
}

describe("cache mode: a node in deploying", () => {
  let filled: CachedFile[] = [];

  it("boots through the artifact route; the first boot fills the cache from the origins", async () => {
    expect(cachedFiles()).toEqual([]);
    const result = await bootCacheNode("rom");

    // The route's `cache` field: "fill", a miss streamed to the machine while it fills the cache.
    expect(result.artifacts.map((l) => [l.method, l.status, l.image, l.cache])).toEqual([
      ["GET", 200, KERNEL_ID, "fill"],
      ["GET", 200, RAMDISK_ID, "fill"],
    ]);
    // Each origin was read once: the kernel from its origin URL, the ramdisk from Swift.
    expect(result.originRequests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
      "GET /origin/vmlinuz 200",
    ]);
    expect(result.swiftRequests.map((a) => `${a.method} ${a.path} ${a.status}`)).toEqual([
      `GET ${objectPath(swift, swift.objects.deployRamdisk)} 200`,
    ]);
    expect(result.swiftRequests[0]?.userAgent).not.toMatch(/^iPXE/);
    expect(
      result.logs.filter((l) => l.msg === "artifact fill").map((l) => [l.key, l.ok, l.bytes]),
    ).toEqual([
      [expect.stringMatching(`^artifacts/${KERNEL_ID}/`), true, KERNEL.size],
      [expect.stringMatching(`^artifacts/${RAMDISK_ID}/`), true, INITRD.size],
    ]);

    filled = cachedFiles();
    expect(filled.map((f) => [f.key.split("/").slice(0, 2).join("/"), f.size, f.sha256])).toEqual([
      [`artifacts/${KERNEL_ID}`, KERNEL.size, KERNEL.sha256],
      [`artifacts/${RAMDISK_ID}`, INITRD.size, INITRD.sha256],
    ]);
  });

  it("boots again from the cache, without asking any origin", async () => {
    expect(filled, "the first boot filled the cache").toHaveLength(2);
    const result = await bootCacheNode("lkrn");

    expect(result.artifacts.map((l) => [l.method, l.status, l.image, l.cache])).toEqual([
      ["GET", 200, KERNEL_ID, "hit"],
      ["GET", 200, RAMDISK_ID, "hit"],
    ]);
    expect(result.originRequests).toEqual([]);
    expect(result.swiftRequests).toEqual([]);
    expect(result.logs.filter((l) => l.msg === "artifact fill")).toEqual([]);
    // The same files, not rewritten.
    expect(cachedFiles()).toEqual(filled);
  });
});
