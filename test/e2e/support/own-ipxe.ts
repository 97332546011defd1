import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildIpxe } from "../../../functions/ipxe/build.ts";
import { REPO_ROOT } from "./payload.ts";

const run = promisify(execFile);

/**
 * swiftboot's own iPXE in the end-to-end tier: built once (cached in .cache/ipxe by input hash)
 * from the release tarball in ../shared/third-party, trusting the test CA in fixtures/tls.
 */

export const TLS_DIR = join(REPO_ROOT, "test/e2e/fixtures/tls");
export const TEST_CA = join(TLS_DIR, "ca.pem");
/** Signed by the test CA, for 10.0.2.2, 10.0.2.100, 10.77.0.1, 127.0.0.1 and localhost. */
export const SERVER_CERT = { cert: join(TLS_DIR, "server.pem"), key: join(TLS_DIR, "server.key") };
/** The same names, signed by a CA the binaries do not trust. */
export const UNTRUSTED_CERT = {
  cert: join(TLS_DIR, "untrusted-server.pem"),
  key: join(TLS_DIR, "untrusted-server.key"),
};

export const IPXE_SOURCE = join(REPO_ROOT, "../shared/third-party/ipxe-2.0.0.tar.gz");

/**
 * Built into the BIOS binaries (which cannot be patched when served). The guest reaches it
 * through QEMU's guestfwd, which hands each connection to guest-forward.mjs: the server itself
 * runs on a free port.
 */
export const FORWARD_HOST = "10.0.2.100";
export const BIOS_CHAIN_URL = `https://${FORWARD_HOST}/boot.ipxe`;

export const OVMF = "/usr/share/ovmf/OVMF.fd";

/** The build the tier uses; its folder holds the binaries and manifest.json. */
export async function buildTestIpxe(log: (line: string) => void): Promise<string> {
  const build = await buildIpxe({
    source: IPXE_SOURCE,
    trust: [TEST_CA],
    chainUrl: BIOS_CHAIN_URL,
    cacheDir: join(REPO_ROOT, ".cache/ipxe"),
    log,
  });
  log(`${build.cached ? "cached" : "built"} ${build.dir}`);
  return build.dir;
}

/** `swiftboot ipxe publish` into a running server's local cache (its data directory). */
export async function publishTo(dataDir: string, buildDir: string): Promise<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("SWIFTBOOT_")) env[key] = value;
  }
  env.SWIFTBOOT_LOCAL_DATA_DIR = dataDir;
  const { stdout } = await run(
    process.execPath,
    [join(REPO_ROOT, "bin/swiftboot.mjs"), "ipxe", "publish", "--from", buildDir],
    { cwd: REPO_ROOT, env, timeout: 60_000 },
  );
  return stdout;
}

export type Fetched = { status: number; headers: Record<string, string>; body: Buffer };

/**
 * GET over HTTPS from the host, trusting the test CA, with the Host header the guest would send
 * (the served binary's chain URL is built from it).
 */
export function httpsGet(
  port: number,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        ca: readFileSync(TEST_CA),
        headers: { host, ...headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, String(v)]),
            ),
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** A folder QEMU shows to OVMF as a FAT disk holding `EFI/BOOT/BOOTX64.EFI`. */
export function fatBootDir(dir: string, efi: Uint8Array): string {
  const boot = join(dir, "EFI", "BOOT");
  mkdirSync(boot, { recursive: true });
  writeFileSync(join(boot, "BOOTX64.EFI"), efi);
  return dir;
}

/**
 * OVMF booting the FAT folder's BOOTX64.EFI. The NIC has no option ROM (`romfile=`), so the only
 * iPXE in the machine is the one under test, which drives the virtio NIC itself.
 */
export function ovmfFatArgs(fatDir: string, mac: string): string[] {
  if (fatDir.includes(",")) throw new Error("the FAT folder's path must not contain a comma");
  return [
    ...["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot", "-bios", OVMF],
    ...["-drive", `file=fat:${fatDir},format=raw,if=none,id=d0,readonly=on`],
    ...["-device", "virtio-blk-pci,drive=d0,bootindex=0"],
    ...["-netdev", "user,id=n0", "-device", `virtio-net-pci,netdev=n0,mac=${mac},romfile=`],
  ];
}

/**
 * A BIOS machine running swiftboot's ipxe.lkrn, whose built-in chain URL (BIOS_CHAIN_URL) QEMU
 * forwards to the server's port on the host.
 */
export function biosLkrnArgs(lkrn: string, mac: string, serverPort: number): string[] {
  const forward = join(REPO_ROOT, "test/e2e/support/guest-forward.mjs");
  for (const path of [lkrn, forward, process.execPath]) {
    if (/[,\s]/.test(path))
      throw new Error(`${path}: QEMU arguments need paths without , or spaces`);
  }
  return [
    ...["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot"],
    ...[
      "-netdev",
      `user,id=n0,guestfwd=tcp:${FORWARD_HOST}:443-cmd:${process.execPath} ${forward} ${serverPort}`,
    ],
    ...["-device", `virtio-net-pci,netdev=n0,mac=${mac}`, "-kernel", lkrn],
  ];
}
