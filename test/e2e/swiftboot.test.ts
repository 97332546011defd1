import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BootMode, LOCAL_DISK_MARKER, unwrapConsole } from "./support/qemu.ts";
import { objectPath, readSwiftAccessLog, type SwiftAccess } from "./support/swift.ts";
import { requestLogs, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootWithSwiftboot, type SwiftbootBootOptions } from "./support/vitest.ts";

/**
 * swiftboot in Swift mode (`ipxe.use_swift`), booted by Debian's iPXE in QEMU: the real local
 * server (`npm start`'s entry point, its own DynamoDB Local), records imported with the CLI, and
 * kernel/ramdisk URLs that are temp URLs of the real local Swift the global setup started
 * (`http://10.0.2.2:<proxy port>`, the proxy as the guest reaches it). What each machine
 * downloaded, and what Swift answered, is read from the Swift proxy's own access log.
 */

const payload = inject("e2ePayload");
const swift = inject("e2eSwift");

const DEPLOY_MAC = "52:54:00:5b:00:01";
const UUID_NODE_UUID = "5b5b5b5b-0000-4000-8000-000000000002";
const SPARE_NIC_MAC = "52:54:00:5b:00:92";
const LOCAL_MAC = "52:54:00:5b:00:03";
const INSTANCE_MAC = "52:54:00:5b:00:04";
const UNKNOWN_MAC = "52:54:00:5b:00:ff";

const KERNEL_SIZE = statSync(payload.kernel).size;
const INITRD_SIZE = statSync(payload.initrd).size;

let sb: Swiftboot;

beforeAll(async () => {
  sb = await startSwiftboot({
    settings: {
      IPXE_USE_SWIFT: "true",
      SWIFT_ENDPOINT_URL: swift.guestUrl,
      SWIFT_ACCOUNT: swift.account,
      SWIFT_CONTAINER: swift.container,
      SWIFT_TEMP_URL_KEY: swift.tempUrlKey,
    },
  });

  await sb.importRecords({
    images: [
      {
        id: "e2e-deploy-kernel",
        name: "e2e deploy kernel",
        swift: { object: swift.objects.deployKernel },
      },
      {
        id: "e2e-deploy-ramdisk",
        name: "e2e deploy ramdisk",
        swift: { object: swift.objects.deployRamdisk },
      },
      {
        id: "e2e-instance-kernel",
        name: "e2e instance kernel",
        swift: { object: swift.objects.instanceKernel },
      },
      {
        id: "e2e-instance-ramdisk",
        name: "e2e instance ramdisk",
        swift: { object: swift.objects.instanceRamdisk },
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
      {
        id: "e2e-instance",
        name: "e2e-instance",
        macs: [INSTANCE_MAC],
        state: "active",
        // The deploy images too, so the boot shows that `active` picks the instance pair.
        deploy: { kernel: "e2e-deploy-kernel", ramdisk: "e2e-deploy-ramdisk" },
        instance: {
          kernel: "e2e-instance-kernel",
          ramdisk: "e2e-instance-ramdisk",
          boot: "netboot",
        },
        kernel_args: "console=ttyS0 e2e=instance",
      },
    ],
  });
}, 180_000);

afterAll(async () => {
  await sb?.stop();
});

/** Boots against swiftboot; also returns (and on failure prints) Swift's access lines. */
async function boot(opts: SwiftbootBootOptions) {
  const before = (await readSwiftAccessLog(swift)).length;
  const during = async () => (await readSwiftAccessLog(swift)).slice(before);
  const result = await bootWithSwiftboot(sb, {
    ...opts,
    report: {
      "Swift proxy access log while it booted": async () => (await during()).map((a) => a.line),
    },
  });
  return { ...result, swift: await during() };
}

const hexhyp = (mac: string) => mac.replaceAll(":", "-");

/** An access line in a form that reads well in a failed `toEqual`. */
const access = (a: SwiftAccess) =>
  `${a.method} ${a.path} ${a.status} ${a.bytesSent} ${a.userAgent.replace(/\/.*/, "")}`;

describe("a node in deploying", () => {
  it.each(["rom", "lkrn"] as const)(
    "boots its deploy kernel and ramdisk from Swift temp URLs (%s)",
    async (mode: BootMode) => {
      const result = await boot({ mac: DEPLOY_MAC, mode });

      expect(result.end).toBe("marker");
      // The callback URL rides along in Swift mode too (docs/provisioning.md).
      expect(result.marker?.cmdline.split(/\s+/)).toEqual([
        "initrd=ramdisk",
        `BOOTIF=01-${hexhyp(DEPLOY_MAC)}`,
        expect.stringMatching(
          /^swiftboot\.callback=http:\/\/10\.0\.2\.2:\d+\/v1\/callbacks\/node\//,
        ),
        "console=ttyS0",
        "e2e=deploy",
      ]);
      expect(unwrapConsole(result.transcript)).toContain(
        "swiftboot: deploy boot of node e2e-deploy: kernel e2e deploy kernel, ramdisk e2e deploy ramdisk (attempt 1 of 4)",
      );
      // Swift itself served both files, in full, to iPXE, on temp URLs it accepted.
      expect(result.swift.map(access)).toEqual([
        `GET ${objectPath(swift, swift.objects.deployKernel)} 200 ${KERNEL_SIZE} iPXE`,
        `GET ${objectPath(swift, swift.objects.deployRamdisk)} 200 ${INITRD_SIZE} iPXE`,
      ]);
      for (const a of result.swift)
        expect(a.query).toMatch(/^temp_url_sig=.*&temp_url_expires=\d+$/);

      const scripts = requestLogs(sb, `/boot/${hexhyp(DEPLOY_MAC)}.ipxe`);
      expect(scripts.at(-1)).toMatchObject({
        status: 200,
        outcome: "boot",
        purpose: "deploy",
        source: "deploy",
        url_mode: "swift",
        attempt: 0,
        // Debian's BIOS iPXE reports ${buildarch} i386 on this 64-bit machine (docs/testing.md):
        // the first stage's `?arch=${buildarch}&platform=${platform}` arrived as
        // `arch=i386&platform=pcbios`.
        arch: "i386",
        platform: "pcbios",
      });
    },
  );

  it("is found by its SMBIOS UUID when it boots from a NIC not in its record", async () => {
    const result = await boot({ mac: SPARE_NIC_MAC, uuid: UUID_NODE_UUID, mode: "lkrn" });

    expect(result.end).toBe("marker");
    expect(result.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      // BOOTIF names the NIC that booted, not the one in the record.
      `BOOTIF=01-${hexhyp(SPARE_NIC_MAC)}`,
      expect.stringMatching(/^swiftboot\.callback=http:\/\/10\.0\.2\.2:\d+\/v1\/callbacks\/node\//),
      "console=ttyS0",
      "e2e=by-uuid",
    ]);
    expect(result.swift.map((a) => `${a.path} ${a.status}`)).toEqual([
      `${objectPath(swift, swift.objects.deployKernel)} 200`,
      `${objectPath(swift, swift.objects.deployRamdisk)} 200`,
    ]);
  });
});

describe("an active node", () => {
  it("with netboot boots its instance kernel and ramdisk from Swift", async () => {
    const result = await boot({ mac: INSTANCE_MAC, mode: "lkrn" });

    expect(result.end).toBe("marker");
    // Instances get their own kernel_args only: no BOOTIF.
    expect(result.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      "console=ttyS0",
      "e2e=instance",
    ]);
    expect(unwrapConsole(result.transcript)).toContain(
      "swiftboot: instance boot of node e2e-instance: kernel e2e instance kernel, ramdisk e2e instance ramdisk",
    );
    expect(result.swift.map(access)).toEqual([
      `GET ${objectPath(swift, swift.objects.instanceKernel)} 200 ${KERNEL_SIZE} iPXE`,
      `GET ${objectPath(swift, swift.objects.instanceRamdisk)} 200 ${INITRD_SIZE} iPXE`,
    ]);
    expect(requestLogs(sb, `/boot/${hexhyp(INSTANCE_MAC)}.ipxe`).at(-1)).toMatchObject({
      status: 200,
      outcome: "boot",
      purpose: "instance",
      kernel: "e2e-instance-kernel",
      ramdisk: "e2e-instance-ramdisk",
    });
  });

  it("with local leaves the network boot and the firmware boots its disk", async () => {
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
    expect(result.swift).toEqual([]);
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
    expect(result.swift).toEqual([]);
    expect(result.marker).toBeUndefined();
  });
});
