/**
 * The iPXE binaries swiftboot builds and serves. EFI builds are plain PE files, so the chain URL
 * slot in their embedded script is filled when they are served. BIOS builds are compressed by
 * iPXE's own build (LZMA, util/zbin), so their slot cannot be found afterwards: the chain URL is
 * written into their embedded script at build time (`swiftboot ipxe build --chain-url`).
 */
export type IpxePlatform = "efi" | "bios";

export type IpxeTarget = {
  /** The name in `/ipxe/<name>` and in the manifest. */
  name: string;
  platform: IpxePlatform;
  /** The make target in iPXE's src/. */
  makeTarget: string;
  /** What firmware runs it, for the docs and the CLI's listing. */
  use: string;
};

export const IPXE_TARGETS: readonly IpxeTarget[] = [
  {
    name: "ipxe.efi",
    platform: "efi",
    makeTarget: "bin-x86_64-efi/ipxe.efi",
    use: "x86_64 UEFI: PXE, UEFI HTTP Boot, USB or disk; iPXE's own NIC drivers",
  },
  {
    name: "snponly.efi",
    platform: "efi",
    makeTarget: "bin-x86_64-efi/snponly.efi",
    use: "x86_64 UEFI through the firmware's own network driver (SNP)",
  },
  {
    name: "undionly.kpxe",
    platform: "bios",
    makeTarget: "bin/undionly.kpxe",
    use: "BIOS PXE chain load through the NIC's UNDI driver",
  },
  {
    name: "ipxe.lkrn",
    platform: "bios",
    makeTarget: "bin/ipxe.lkrn",
    use: "BIOS, loaded as a Linux kernel (GRUB, syslinux, QEMU -kernel)",
  },
];

export function ipxeTarget(name: string): IpxeTarget | undefined {
  return IPXE_TARGETS.find((target) => target.name === name);
}

/** The manifest `swiftboot ipxe build` writes next to the binaries and publishes with them. */
export type IpxeManifestEntry = {
  name: string;
  platform: IpxePlatform;
  size: number;
  sha256: string;
  /** "slot" when the chain URL is filled at serve time, else the URL built in. */
  chain: "slot" | { url: string };
};

export type IpxeManifest = {
  format: 1;
  /** sha256 over every build input (source, config, scripts, trust), the cache key. */
  inputs: string;
  source: { sha256: string; version: string };
  trust: { name: string; sha256: string }[] | "ipxe-default";
  sourceDateEpoch: number;
  binaries: IpxeManifestEntry[];
};
