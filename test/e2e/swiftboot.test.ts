import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import {
  type LoggedRequest,
  sendFile,
  sendText,
  startTestServer,
  type TestServer,
} from "./support/http.ts";
import { type BootOptions, LOCAL_DISK_MARKER, unwrapConsole } from "./support/qemu.ts";
import { requestLogs, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * swiftboot itself, booted by Debian's iPXE in QEMU: the real local server (`npm start`'s
 * entry point, its own DynamoDB Local), records imported with the CLI, and Swift temp URLs
 * (`ipxe.use_swift`) pointing at a stand-in Swift on the host that checks each temp URL's
 * signature and expiry the way Swift's tempurl middleware does, then serves the payload.
 *
 * TODO: the default artifact mode (`/v1/artifacts/...`) once that route exists.
 */

const payload = inject("e2ePayload");

const ACCOUNT = "AUTH_e2e";
const CONTAINER = "e2e";
const TEMP_URL_KEY = "e2e-temp-url-key";

const DEPLOY_MAC = "52:54:00:5b:00:01";
const UUID_NODE_UUID = "5b5b5b5b-0000-4000-8000-000000000002";
const SPARE_NIC_MAC = "52:54:00:5b:00:92";
const LOCAL_MAC = "52:54:00:5b:00:03";
const UNKNOWN_MAC = "52:54:00:5b:00:ff";

const OBJECTS: Record<string, string> = {
  "deploy/vmlinuz": payload.kernel,
  "deploy/initrd.gz": payload.initrd,
};

let swift: TestServer;
let sb: Swiftboot;

/** Swift's tempurl check, for GET with a hex SHA-256 signature (swiftboot's default digest). */
function tempUrlProblem(path: string, query: URLSearchParams): string | undefined {
  const sig = query.get("temp_url_sig");
  const expires = query.get("temp_url_expires");
  if (sig === null || expires === null) return "no temp_url_sig / temp_url_expires";
  if (!/^\d+$/.test(expires)) return `unexpected temp_url_expires ${expires}`;
  if (Number(expires) < Date.now() / 1000) return "expired";
  const want = createHmac("sha256", TEMP_URL_KEY).update(`GET\n${expires}\n${path}`).digest();
  const got = Buffer.from(sig, "hex");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return "bad signature";
  return undefined;
}

beforeAll(async () => {
  swift = await startTestServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const prefix = `/v1/${ACCOUNT}/${CONTAINER}/`;
    const file = url.pathname.startsWith(prefix)
      ? OBJECTS[url.pathname.slice(prefix.length)]
      : undefined;
    if (file === undefined) return sendText(res, 404, "Not Found\n");
    const problem = tempUrlProblem(url.pathname, url.searchParams);
    if (problem !== undefined) return sendText(res, 401, `Unauthorized: ${problem}\n`);
    await sendFile(res, file);
  });

  sb = await startSwiftboot({
    settings: {
      IPXE_USE_SWIFT: "true",
      SWIFT_ENDPOINT_URL: swift.guestUrl(""),
      SWIFT_ACCOUNT: ACCOUNT,
      SWIFT_CONTAINER: CONTAINER,
      SWIFT_TEMP_URL_KEY: TEMP_URL_KEY,
    },
  });

  await sb.importRecords({
    images: [
      { id: "e2e-deploy-kernel", name: "e2e deploy kernel", swift: { object: "deploy/vmlinuz" } },
      {
        id: "e2e-deploy-ramdisk",
        name: "e2e deploy ramdisk",
        swift: { object: "deploy/initrd.gz" },
      },
    ],
    nodes: [
      {
        id: "e2e-deploy",
        name: "e2e-deploy",
        macs: [DEPLOY_MAC],
        state: "deploying",
        deploy: { kernel: "e2e-deploy-kernel", ramdisk: "e2e-deploy-ramdisk" },
        kernel_args: "console=ttyS0 e2e=deploy",
      },
      {
        id: "e2e-by-uuid",
        name: "e2e-by-uuid",
        macs: ["52:54:00:5b:00:02"],
        uuid: UUID_NODE_UUID,
        state: "deploying",
        deploy: { kernel: "e2e-deploy-kernel", ramdisk: "e2e-deploy-ramdisk" },
        kernel_args: "console=ttyS0 e2e=by-uuid",
      },
      {
        id: "e2e-local",
        name: "e2e-local",
        macs: [LOCAL_MAC],
        state: "active",
        instance: { boot: "local" },
      },
    ],
  });
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await swift?.close();
});

/** Boots in the current test; on failure also prints swiftboot's log and Swift's requests. */
async function boot(opts: Omit<BootOptions, "chainUrl" | "timeoutMs"> & { timeoutMs?: number }) {
  const firstLog = sb.logs.length;
  const firstSwift = swift.requests.length;
  onTestFailed(() => {
    console.error(
      [
        "----- swiftboot log during this test -----",
        ...sb.logs.slice(firstLog).map((l) => JSON.stringify(l)),
        "----- Swift requests during this test -----",
        ...swift.requests.slice(firstSwift).map((r) => `${r.method} ${r.url} ${r.status}`),
      ].join("\n"),
    );
  });
  const result = await bootInTest({
    timeoutMs: 60_000,
    chainUrl: sb.guestUrl("/boot.ipxe"),
    ...opts,
  });
  return { ...result, swiftRequests: swift.requests.slice(firstSwift) as LoggedRequest[] };
}

const hexhyp = (mac: string) => mac.replaceAll(":", "-");

describe("a node in deploying", () => {
  it.each(["rom", "lkrn"] as const)(
    "boots its deploy kernel and ramdisk from Swift temp URLs (%s)",
    async (mode) => {
      const result = await boot({ mac: DEPLOY_MAC, mode });

      expect(result.end).toBe("marker");
      const args = result.marker?.cmdline.split(/\s+/) ?? [];
      expect(args).toEqual([
        "initrd=ramdisk",
        `BOOTIF=01-${hexhyp(DEPLOY_MAC)}`,
        "console=ttyS0",
        "e2e=deploy",
      ]);
      expect(unwrapConsole(result.transcript)).toContain(
        "swiftboot: deploy boot of node e2e-deploy: kernel e2e deploy kernel, ramdisk e2e deploy ramdisk (attempt 1 of 4)",
      );
      expect(
        result.swiftRequests.map((r) => `${new URL(r.url, "http://x").pathname} ${r.status}`),
      ).toEqual([
        `/v1/${ACCOUNT}/${CONTAINER}/deploy/vmlinuz 200`,
        `/v1/${ACCOUNT}/${CONTAINER}/deploy/initrd.gz 200`,
      ]);
      const scriptRequests = requestLogs(sb, `/boot/${hexhyp(DEPLOY_MAC)}.ipxe`);
      expect(scriptRequests.at(-1)?.status).toBe(200);
    },
  );

  it("is found by its SMBIOS UUID when it boots from a NIC not in its record", async () => {
    const result = await boot({ mac: SPARE_NIC_MAC, uuid: UUID_NODE_UUID, mode: "lkrn" });

    expect(result.end).toBe("marker");
    expect(result.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      // BOOTIF names the NIC that booted, not the one in the record.
      `BOOTIF=01-${hexhyp(SPARE_NIC_MAC)}`,
      "console=ttyS0",
      "e2e=by-uuid",
    ]);
  });
});

describe("an unknown machine", () => {
  it("sees why on its console and leaves iPXE for the next boot device", async () => {
    const result = await boot({
      mac: UNKNOWN_MAC,
      mode: "rom",
      until: /No bootable device\./,
    });

    expect(result.end).toBe("until");
    const text = unwrapConsole(result.transcript);
    expect(text).toMatch(
      /swiftboot: unknown machine: no node is enrolled with MAC 52:54:00:5b:00:ff/,
    );
    // QEMU without an SMBIOS UUID reports the all-zero one, which must not identify anything.
    expect(text).toContain("00000000-0000-0000-0000-000000000000");
    expect(text).toContain("swiftboot: leaving iPXE so the firmware tries the next boot device");
    expect(text.slice(text.indexOf("swiftboot: leaving iPXE"))).toContain(
      "No more network devices",
    );
    expect(result.swiftRequests).toEqual([]);
    expect(result.marker).toBeUndefined();
  });
});

describe("an active node that boots locally", () => {
  it("leaves the network boot and the firmware boots its disk", async () => {
    const result = await boot({
      mac: LOCAL_MAC,
      mode: "rom",
      disk: payload.localDisk,
      until: new RegExp(LOCAL_DISK_MARKER),
    });

    expect(result.end).toBe("until");
    const text = unwrapConsole(result.transcript);
    const said = text.indexOf("swiftboot: node e2e-local is active and boots from its local disk");
    expect(said).toBeGreaterThanOrEqual(0);
    expect(text.slice(said)).toMatch(
      new RegExp(
        `No more network devices\\n[\\s\\S]*Booting from Hard Disk\\.\\.\\.\\n${LOCAL_DISK_MARKER}`,
      ),
    );
    expect(result.swiftRequests).toEqual([]);
  });
});
