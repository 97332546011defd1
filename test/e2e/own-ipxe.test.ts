import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sendFile, sendText, startTestServer, type TestServer } from "./support/http.ts";
import {
  BIOS_CHAIN_URL,
  biosLkrnArgs,
  FORWARD_HOST,
  fatBootDir,
  httpsGet,
  ovmfFatArgs,
  publishTo,
  SERVER_CERT,
  UNTRUSTED_CERT,
} from "./support/own-ipxe.ts";
import { unwrapConsole } from "./support/qemu.ts";
import { type LogLine, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * swiftboot's own iPXE (`swiftboot ipxe build`, built by the global setup with the test CA as its
 * only trust), published into `npm start`'s local cache and served by it over HTTPS:
 * - OVMF boots `ipxe.efi` (fetched from `GET /ipxe/ipxe.efi`, its chain URL patched in) from a
 *   FAT disk, and reaches Linux with the chain, the node script and both artifacts over HTTPS;
 * - the same binary refuses the server once its certificate (reloaded without a restart) comes
 *   from a CA the binary does not trust;
 * - a BIOS machine boots `ipxe.lkrn`, whose chain URL is built in, over HTTPS.
 */

const payload = inject("e2ePayload");
const swift = inject("e2eSwift");
const ipxeBuild = inject("e2eIpxeBuild");

const EFI_MAC = "52:54:00:5b:17:01";
const UNTRUSTED_MAC = "52:54:00:5b:17:02";
const BIOS_MAC = "52:54:00:5b:17:03";

const facts = (path: string) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
};

let origin: TestServer;
let sb: Swiftboot;
let work: string;
/** The files the server's server.tls_cert / tls_key name; swapped to test the reload. */
let certFile: string;
let keyFile: string;

function useCert(pair: { cert: string; key: string }) {
  copyFileSync(pair.key, `${keyFile}.new`);
  copyFileSync(pair.cert, `${certFile}.new`);
  // Renames, as certificate tools do: the server never reads a half-written file.
  renameSync(`${keyFile}.new`, keyFile);
  renameSync(`${certFile}.new`, certFile);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "swiftboot-e2e-own-ipxe-"));
  certFile = join(work, "tls.pem");
  keyFile = join(work, "tls.key");
  copyFileSync(SERVER_CERT.cert, certFile);
  copyFileSync(SERVER_CERT.key, keyFile);
  origin = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/origin/vmlinuz") return sendFile(res, payload.kernel);
    if (path === "/origin/initrd") return sendFile(res, payload.initrd);
    sendText(res, 404, "not found\n");
  });
  sb = await startSwiftboot({
    settings: {
      IPXE_USE_SWIFT: "false",
      SERVER_TLS_CERT: certFile,
      SERVER_TLS_KEY: keyFile,
    },
  });
  const kernel = facts(payload.kernel);
  const initrd = facts(payload.initrd);
  const deploy = { kernel: "e2e-tls-kernel", ramdisk: "e2e-tls-ramdisk" };
  await sb.importRecords({
    images: [
      {
        id: deploy.kernel,
        name: "e2e tls kernel",
        // Every image names its Swift object; these are filled from their origin instead.
        swift: { object: swift.objects.deployKernel },
        origin: `http://127.0.0.1:${origin.port}/origin/vmlinuz`,
        ...kernel,
      },
      {
        id: deploy.ramdisk,
        name: "e2e tls ramdisk",
        swift: { object: swift.objects.deployRamdisk },
        origin: `http://127.0.0.1:${origin.port}/origin/initrd`,
        ...initrd,
      },
    ],
    nodes: [EFI_MAC, UNTRUSTED_MAC, BIOS_MAC].map((mac, i) => ({
      id: `e2e-tls-${i}`,
      name: `e2e-tls-${i}`,
      macs: [mac],
      state: "deploying",
      deploy,
      kernel_args: "console=ttyS0 e2e=tls",
    })),
  });
  await publishTo(sb.dataDir, ipxeBuild);
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await origin?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const requestsSince = (first: number) =>
  sb.logs
    .slice(first)
    .filter((l: LogLine) => l.msg === "request")
    .map(
      (l) =>
        `${l.method} ${String(l.path).replace(/\/v1\/artifacts\/([^/]+)\/.*/, "/v1/artifacts/$1")} ${l.status}`,
    );

async function waitForLog(msg: string, after: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!sb.logs.slice(after).some((l) => l.msg === msg)) {
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** ipxe.efi as the guest gets it: its chain URL built from the Host the guest would send. */
async function servedEfi(): Promise<Buffer> {
  const res = await httpsGet(sb.port, "/ipxe/ipxe.efi", `10.0.2.2:${sb.port}`);
  expect(res.status).toBe(200);
  const chain = `https://10.0.2.2:${sb.port}/boot.ipxe`;
  expect(res.body.includes(Buffer.from(`set swiftboot-chain ${chain} `))).toBe(true);
  return res.body;
}

describe("swiftboot's own iPXE over HTTPS", () => {
  it("OVMF boots ipxe.efi from a FAT disk and reaches Linux through an HTTPS chain", async () => {
    const before = sb.logs.length;
    const fat = fatBootDir(join(work, "fat-efi"), await servedEfi());
    // npm start writes a turn's log lines at its end, just after the answers: servedEfi's own
    // line may land after its answer, so it is waited for before the boot's lines are counted.
    await waitForLog("request", before);
    const first = sb.logs.length;
    const result = await bootInTest(
      {
        mac: EFI_MAC,
        mode: "lkrn",
        chainUrl: "(built in)",
        timeoutMs: 240_000,
        args: ovmfFatArgs(fat, EFI_MAC),
      },
      `OVMF ipxe.efi ${EFI_MAC}`,
    );
    expect(result.end).toBe("marker");
    expect(result.marker?.cmdline.split(/\s+/)).toContain("e2e=tls");
    const text = unwrapConsole(result.transcript);
    expect(text).toMatch(/Features: [^\n]*HTTPS/);
    expect(text).toContain("swiftboot: first stage built into this iPXE");
    expect(text).toContain(`https://10.0.2.2:${sb.port}/v1/artifacts/`);
    expect(requestsSince(first)).toEqual([
      "GET /boot.ipxe 200",
      "GET /boot/52-54-00-5b-17-01.ipxe 200",
      "GET /v1/artifacts/e2e-tls-kernel 200",
      "GET /v1/artifacts/e2e-tls-ramdisk 200",
    ]);
  }, 300_000);

  it("refuses a server whose certificate its trust does not cover", async () => {
    const efi = await servedEfi();
    const fat = fatBootDir(join(work, "fat-untrusted"), efi);
    const before = sb.logs.length;
    useCert(UNTRUSTED_CERT);
    await waitForLog("TLS certificate reloaded", before);
    // The host sees the swap too: the test CA no longer verifies the server.
    await expect(httpsGet(sb.port, "/healthz", "127.0.0.1")).rejects.toThrow();
    try {
      const first = sb.logs.length;
      const result = await bootInTest(
        {
          mac: UNTRUSTED_MAC,
          mode: "lkrn",
          chainUrl: "(built in)",
          timeoutMs: 180_000,
          until: /could not reach https:\/\/10\.0\.2\.2:\d+\/boot\.ipxe/,
          args: ovmfFatArgs(fat, UNTRUSTED_MAC),
        },
        `OVMF ipxe.efi, untrusted server ${UNTRUSTED_MAC}`,
      );
      expect(result.end).toBe("until");
      expect(result.marker).toBeUndefined();
      const text = unwrapConsole(result.transcript);
      // What iPXE 2.0.0 prints when the server's chain does not end at a root it trusts.
      expect(text).toMatch(
        /https:\/\/10\.0\.2\.2:\d+\/boot\.ipxe\.\.\. Permission denied \(https:\/\/ipxe\.org\/0216eb8f\)/,
      );
      // The TLS handshake failed: no request reached the app.
      expect(requestsSince(first)).toEqual([]);
    } finally {
      const restored = sb.logs.length;
      useCert(SERVER_CERT);
      await waitForLog("TLS certificate reloaded", restored);
    }
  }, 240_000);

  it("a BIOS machine boots ipxe.lkrn, its HTTPS chain URL built in", async () => {
    const first = sb.logs.length;
    const result = await bootInTest(
      {
        mac: BIOS_MAC,
        mode: "lkrn",
        chainUrl: BIOS_CHAIN_URL,
        timeoutMs: 180_000,
        args: biosLkrnArgs(join(ipxeBuild, "ipxe.lkrn"), BIOS_MAC, sb.port),
      },
      `BIOS ipxe.lkrn ${BIOS_MAC}`,
    );
    expect(result.end).toBe("marker");
    const text = unwrapConsole(result.transcript);
    expect(text).toMatch(/Features: [^\n]*HTTPS/);
    expect(text).toContain(`https://${FORWARD_HOST}/v1/artifacts/`);
    expect(requestsSince(first)).toEqual([
      "GET /boot.ipxe 200",
      "GET /boot/52-54-00-5b-17-03.ipxe 200",
      "GET /v1/artifacts/e2e-tls-kernel 200",
      "GET /v1/artifacts/e2e-tls-ramdisk 200",
    ]);
  }, 240_000);
});
