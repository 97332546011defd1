import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";
import { buildIpxe } from "../../functions/ipxe/build.ts";
import {
  CHAIN_URL_SLOT_LENGTH,
  findChainUrlSlots,
  patchChainUrl,
} from "../../shared/ipxe-binaries/slot.ts";
import type { IpxeManifest } from "../../shared/ipxe-binaries/targets.ts";
import { BIOS_CHAIN_URL, buildTestIpxe, IPXE_SOURCE, TEST_CA } from "./support/own-ipxe.ts";

/**
 * `swiftboot ipxe build` from the release tarball in ../shared/third-party: the build the e2e tier
 * boots (the same inputs, so one build serves both, cached in .cache/ipxe), checked byte for
 * byte, plus a second build of the EFI targets from scratch in another folder, which must give
 * the same bytes. Slow the first time on a busy 2-core machine (several minutes per platform).
 */

const BUILD_MS = 45 * 60_000;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let dir: string;
let manifest: IpxeManifest;
let scratch: string;

beforeAll(async () => {
  dir = await buildTestIpxe(() => {});
  manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  scratch = await mkdtemp(join(tmpdir(), "swiftboot-ipxe-build-"));
}, BUILD_MS);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

async function cli(args: string[]) {
  const err: string[] = [];
  const code = await main(["node", "swiftboot", ...args], {
    out: () => {},
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: () => {},
    env: {},
  });
  return { code, err: err.join("\n") };
}

describe("swiftboot ipxe build", () => {
  it("records every binary with its sha256 and how its chain URL is set", async () => {
    expect(manifest.binaries.map((b) => [b.name, b.platform, b.chain])).toEqual([
      ["ipxe.efi", "efi", "slot"],
      ["snponly.efi", "efi", "slot"],
      ["undionly.kpxe", "bios", { url: BIOS_CHAIN_URL }],
      ["ipxe.lkrn", "bios", { url: BIOS_CHAIN_URL }],
    ]);
    for (const entry of manifest.binaries) {
      const bytes = await readFile(join(dir, entry.name));
      expect([entry.name, bytes.length, sha256(bytes)]).toEqual([
        entry.name,
        entry.size,
        entry.sha256,
      ]);
    }
    expect(manifest.source.sha256).toBe(sha256(await readFile(IPXE_SOURCE)));
    expect(manifest.trust).toEqual([{ name: "ca.pem", sha256: sha256(await readFile(TEST_CA)) }]);
  });

  it("leaves one chain URL slot in each EFI binary, which patching fills", async () => {
    for (const name of ["ipxe.efi", "snponly.efi"]) {
      const bytes = new Uint8Array(await readFile(join(dir, name)));
      const slots = findChainUrlSlots(bytes);
      expect(slots, name).toHaveLength(1);
      const url = "https://boot.example:8443/boot.ipxe";
      const patched = patchChainUrl(bytes, url);
      const at = slots[0] as number;
      expect(Buffer.from(patched.subarray(at, at + CHAIN_URL_SLOT_LENGTH)).toString()).toBe(
        url.padEnd(CHAIN_URL_SLOT_LENGTH, " "),
      );
      expect(findChainUrlSlots(patched)).toEqual([]);
    }
  });

  it("compresses the BIOS binaries, which is why their URL is built in", async () => {
    // Neither the slot nor the URL appears as text: iPXE's build LZMA-compresses BIOS images.
    for (const name of ["undionly.kpxe", "ipxe.lkrn"]) {
      const bytes = await readFile(join(dir, name));
      expect(findChainUrlSlots(bytes), name).toEqual([]);
      expect(bytes.includes(Buffer.from(BIOS_CHAIN_URL)), name).toBe(false);
    }
  });

  it(
    "gives the same bytes when built again from scratch in another folder",
    async () => {
      const again = await buildIpxe({
        source: IPXE_SOURCE,
        trust: [TEST_CA],
        cacheDir: scratch,
      });
      expect(again.cached).toBe(false);
      const efi = (m: IpxeManifest) =>
        m.binaries.filter((b) => b.platform === "efi").map((b) => [b.name, b.sha256]);
      expect(efi(again.manifest)).toEqual(efi(manifest));
    },
    BUILD_MS,
  );

  it("refuses an over-long chain URL before compiling anything", async () => {
    const url = `https://boot.example/${"x".repeat(240)}/boot.ipxe`;
    const result = await cli([
      "ipxe",
      "build",
      "--source",
      IPXE_SOURCE,
      "--chain-url",
      url,
      "--cache-dir",
      join(scratch, "refused"),
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /--chain-url .*: the URL is 271 bytes long; swiftboot's iPXE binaries hold at most 256/,
    );
    // Refused up front: nothing was unpacked or compiled.
    await expect(readdir(join(scratch, "refused"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a trust file that is not a CA certificate", async () => {
    const result = await cli([
      "ipxe",
      "build",
      "--source",
      IPXE_SOURCE,
      "--trust",
      join(import.meta.dirname, "fixtures/tls/server.key"),
      "--cache-dir",
      scratch,
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/holds no PEM certificate/);
  });
});
