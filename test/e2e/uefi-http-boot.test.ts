import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it, onTestFailed } from "vitest";
import { sendFile, sendText, startTestServer, type TestServer } from "./support/http.ts";
import { type HttpBootNet, SERVER_ADDRESS, startHttpBootNet } from "./support/http-boot-net.ts";
import { OVMF, publishTo } from "./support/own-ipxe.ts";
import { unwrapConsole } from "./support/qemu.ts";
import { type LogLine, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * UEFI HTTP Boot with no TFTP: OVMF asks DHCP (dnsmasq in a network namespace of this test's
 * own, configured with docs/ipxe.md's snippet) as an `HTTPClient`, downloads swiftboot's
 * `ipxe.efi` from `GET /ipxe/ipxe.efi`, and the binary's built-in first stage chains the node
 * script and boots Linux. Plain http: the firmware's own HTTPS trust is not iPXE's.
 */

const payload = inject("e2ePayload");
const swift = inject("e2eSwift");
const ipxeBuild = inject("e2eIpxeBuild");

const MAC = "52:54:00:5b:17:10";

const facts = (path: string) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
};

let origin: TestServer;
let sb: Swiftboot;
let net: HttpBootNet;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "swiftboot-e2e-http-boot-"));
  origin = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/origin/vmlinuz") return sendFile(res, payload.kernel);
    if (path === "/origin/initrd") return sendFile(res, payload.initrd);
    sendText(res, 404, "not found\n");
  });
  sb = await startSwiftboot({ settings: { IPXE_USE_SWIFT: "false" } });
  await sb.importRecords({
    images: [
      {
        id: "e2e-http-boot-kernel",
        name: "e2e http boot kernel",
        swift: { object: swift.objects.deployKernel },
        origin: `http://127.0.0.1:${origin.port}/origin/vmlinuz`,
        ...facts(payload.kernel),
      },
      {
        id: "e2e-http-boot-ramdisk",
        name: "e2e http boot ramdisk",
        swift: { object: swift.objects.deployRamdisk },
        origin: `http://127.0.0.1:${origin.port}/origin/initrd`,
        ...facts(payload.initrd),
      },
    ],
    nodes: [
      {
        id: "e2e-http-boot",
        name: "e2e-http-boot",
        macs: [MAC],
        state: "deploying",
        deploy: { kernel: "e2e-http-boot-kernel", ramdisk: "e2e-http-boot-ramdisk" },
        kernel_args: "console=ttyS0 e2e=http-boot",
      },
    ],
  });
  await publishTo(sb.dataDir, ipxeBuild);
  net = await startHttpBootNet({ swiftbootPort: sb.port, workDir: work });
}, 180_000);

afterAll(async () => {
  await net?.stop();
  await sb?.stop();
  await origin?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

it("OVMF gets ipxe.efi from swiftboot by DHCP (option 60 HTTPClient) and boots Linux", async () => {
  const first = sb.logs.length;
  const firstDhcp = net.dnsmasqLog.length;
  onTestFailed(() => {
    console.error(["----- dnsmasq -----", ...net.dnsmasqLog.slice(firstDhcp)].join("\n"));
  });
  const result = await bootInTest(
    {
      mac: MAC,
      mode: "lkrn",
      chainUrl: `http://${SERVER_ADDRESS}/ipxe/ipxe.efi`,
      timeoutMs: 240_000,
      wrapper: net.exec,
      args: [
        ...["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot", "-bios", OVMF],
        // Straight to HTTP Boot: OVMF would first try PXE, whose DHCP retries take minutes.
        ...["-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n"],
        ...["-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n"],
        ...net.nicArgs(MAC),
      ],
    },
    `UEFI HTTP Boot ${MAC}`,
  );
  const requests = sb.logs
    .slice(first)
    .filter((l: LogLine) => l.msg === "request")
    .map(
      (l) =>
        `${l.method} ${String(l.path).replace(/(\/v1\/artifacts\/[^/]+)\/.*/, "$1")} ${l.status}`,
    );
  const dhcp = net.dnsmasqLog.slice(firstDhcp);
  expect(dhcp.some((l) => l.includes("vendor class: HTTPClient:Arch:00016"))).toBe(true);
  expect(
    dhcp.some((l) =>
      l.includes(`option: 67 bootfile-name  http://${SERVER_ADDRESS}/ipxe/ipxe.efi`),
    ),
  ).toBe(true);
  expect(result.end).toBe("marker");
  expect(result.marker?.cmdline.split(/\s+/)).toContain("e2e=http-boot");
  const text = unwrapConsole(result.transcript);
  expect(text).toContain("swiftboot: first stage built into this iPXE");
  expect(requests.filter((r) => !r.startsWith("HEAD"))).toEqual([
    "GET /ipxe/ipxe.efi 200",
    // iPXE 2.0.0 looks for autoexec.ipxe beside its own URL first; none is served.
    "GET /ipxe/autoexec.ipxe 404",
    "GET /autoexec.ipxe 404",
    "GET /boot.ipxe 200",
    "GET /boot/52-54-00-5b-17-10.ipxe 200",
    "GET /v1/artifacts/e2e-http-boot-kernel 200",
    "GET /v1/artifacts/e2e-http-boot-ramdisk 200",
  ]);
}, 300_000);
