import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sendFile, sendText, startTestServer, type TestServer } from "./support/http.ts";
import { type BootMode, LOCAL_DISK_MARKER } from "./support/qemu.ts";
import { type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootWithSwiftboot } from "./support/vitest.ts";

/**
 * The provisioning loop on real machines: a node in `deploying` boots a busybox ramdisk that
 * finds `swiftboot.callback=<URL>` in /proc/cmdline and reports `done` with busybox wget; with no
 * operator action, its next power-on boots the instance (netboot), and another node's next
 * power-on leaves iPXE for its local disk (local). An unknown machine, with `unknown_action =
 * discover`, boots the same ramdisk as its discovery image, reports an inventory with its memory
 * size, and is then a node in `enroll` with its MAC. Cache mode: the images come from an origin
 * server in this file, through swiftboot's artifact route.
 */

const payload = inject("e2ePayload");

const NETBOOT_MAC = "52:54:00:5c:01:01";
const LOCAL_MAC = "52:54:00:5c:01:02";
const UNKNOWN_MAC = "52:54:00:5c:01:03";
const UNKNOWN_UUID = "5c5c5c5c-0000-4000-8000-000000000103";
const UNKNOWN_MEMORY_MB = 384;
const TOKEN = `sbt_${randomBytes(16).toString("hex")}`;
const REPORT_LINE = /SWIFTBOOT-E2E-REPORT rc=(\d+) ([^\n]*)\n/;

let origin: TestServer;
let sb: Swiftboot;

beforeAll(async () => {
  origin = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const files: Record<string, string> = {
      "/vmlinuz": payload.kernel,
      "/initrd-marker.gz": payload.initrd,
      "/initrd-callback.gz": payload.callbackInitrd,
    };
    const file = files[path];
    if (file !== undefined) return sendFile(res, file);
    sendText(res, 404, "not found\n");
  });
  sb = await startSwiftboot({
    settings: {
      IPXE_USE_SWIFT: "false",
      IPXE_UNKNOWN_ACTION: "discover",
      DISCOVERY_KERNEL: "e2e-kernel",
      DISCOVERY_RAMDISK: "e2e-callback-ramdisk",
      DISCOVERY_KERNEL_ARGS: "console=ttyS0 e2e.report=done e2e.inventory=1",
      ADMIN_TOKENS: `admin:${createHash("sha256").update(TOKEN).digest("hex")}`,
    },
  });
  const image = (id: string, file: string) => ({
    id,
    name: id,
    swift: { object: `e2e/${file}` },
    origin: `http://127.0.0.1:${origin.port}/${file}`,
  });
  const node = (id: string, mac: string, boot: "netboot" | "local") => ({
    id,
    name: id,
    macs: [mac],
    state: "deploying",
    deploy: { kernel: "e2e-kernel", ramdisk: "e2e-callback-ramdisk" },
    instance: { kernel: "e2e-kernel", ramdisk: "e2e-marker-ramdisk", boot },
    kernel_args: `console=ttyS0 e2e.report=done e2e=${id}`,
  });
  await sb.importRecords({
    images: [
      image("e2e-kernel", "vmlinuz"),
      image("e2e-marker-ramdisk", "initrd-marker.gz"),
      image("e2e-callback-ramdisk", "initrd-callback.gz"),
    ],
    nodes: [
      node("e2e-loop-netboot", NETBOOT_MAC, "netboot"),
      node("e2e-loop-local", LOCAL_MAC, "local"),
    ],
  });
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await origin?.close();
});

const nodeState = async (id: string) => {
  const res = await fetch(`${sb.url}/v1/nodes/${id}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await res.json()) as {
    state: string;
    macs: string[];
    uuid?: string;
    inventory?: { memory_mib?: number; macs?: string[]; cpu?: { count?: number } };
    last_report?: { status: string; state: string };
  };
};

/** Boots the deploy ramdisk, which must report done and be answered `applied`. */
async function deployAndReport(id: string, mac: string, mode: BootMode) {
  const result = await bootWithSwiftboot(sb, { mac, mode, timeoutMs: 90_000 });
  expect(result.end).toBe("marker");
  const args = result.marker?.cmdline.split(/\s+/) ?? [];
  const callback = args.find((a) => a.startsWith("swiftboot.callback="));
  expect(callback).toMatch(
    new RegExp(
      `^swiftboot\\.callback=http://10\\.0\\.2\\.2:${sb.port}/v1/callbacks/node/${id}/deploying/[0-9a-f]{16}/\\d+/[0-9a-f]{64}$`,
    ),
  );
  const report = REPORT_LINE.exec(result.transcript);
  expect(report?.[1], result.transcript.slice(-2000)).toBe("0");
  expect(JSON.parse(report?.[2] ?? "{}")).toMatchObject({
    result: "applied",
    node: id,
    from: "deploying",
    to: "active",
  });
  expect(await nodeState(id)).toMatchObject({
    state: "active",
    last_report: { status: "done", state: "deploying" },
  });
}

describe("the provisioning loop", () => {
  it("a deploying node reports done from its ramdisk, then boots its instance (netboot)", async () => {
    await deployAndReport("e2e-loop-netboot", NETBOOT_MAC, "lkrn");
    const next = await bootWithSwiftboot(sb, { mac: NETBOOT_MAC, mode: "lkrn" });
    expect(next.end).toBe("marker");
    // The instance's marker ramdisk: the node's own arguments, no BOOTIF, no callback.
    expect(next.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      "console=ttyS0",
      "e2e.report=done",
      "e2e=e2e-loop-netboot",
    ]);
    expect(next.transcript).toContain("swiftboot: instance boot of node e2e-loop-netboot");
  }, 240_000);

  it("another node reports done, then leaves iPXE for its local disk (local)", async () => {
    await deployAndReport("e2e-loop-local", LOCAL_MAC, "rom");
    const next = await bootWithSwiftboot(sb, {
      mac: LOCAL_MAC,
      mode: "rom",
      disk: payload.localDisk,
      until: new RegExp(LOCAL_DISK_MARKER),
    });
    expect(next.end).toBe("until");
    expect(next.transcript).toContain("is active and boots from its local disk");
    expect(next.marker).toBeUndefined();
  }, 240_000);

  it("an unknown machine boots the discovery image, reports its inventory and is enrolled", async () => {
    const result = await bootWithSwiftboot(sb, {
      mac: UNKNOWN_MAC,
      uuid: UNKNOWN_UUID,
      mode: "lkrn",
      memoryMb: UNKNOWN_MEMORY_MB,
      timeoutMs: 90_000,
    });
    expect(result.end).toBe("marker");
    expect(result.transcript).toContain("swiftboot: discovery boot of node");
    const report = REPORT_LINE.exec(result.transcript);
    expect(report?.[1], result.transcript.slice(-2000)).toBe("0");
    expect(JSON.parse(report?.[2] ?? "{}")).toMatchObject({
      result: "enrolled",
      node: UNKNOWN_UUID,
      state: "enroll",
    });
    const node = await nodeState(UNKNOWN_UUID);
    expect(node).toMatchObject({ state: "enroll", macs: [UNKNOWN_MAC], uuid: UNKNOWN_UUID });
    expect(node.inventory?.macs).toEqual([UNKNOWN_MAC]);
    // What the kernel reports: the machine's memory less what firmware and kernel keep.
    expect(node.inventory?.memory_mib).toBeGreaterThan(UNKNOWN_MEMORY_MB - 128);
    expect(node.inventory?.memory_mib).toBeLessThanOrEqual(UNKNOWN_MEMORY_MB);
  }, 240_000);
});
