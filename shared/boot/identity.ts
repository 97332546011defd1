import {
  ARCHES,
  type Arch,
  normalizeMac,
  normalizeUuid,
  PLATFORMS,
  type Platform,
} from "../model/index.ts";

/**
 * Who is asking for a per-node script: `/boot/{mac}.ipxe?uuid=&arch=&platform=&attempt=`.
 * Everything in it comes from the network, so parsing never throws: a bad value is left out and
 * reported in `problems`, for the logs and for the console of a machine that cannot be booted.
 */
export interface BootIdentity {
  /** Canonical `52:54:00:ab:cd:ef`, if the path held a MAC in any of the three forms. */
  mac?: string;
  /** Canonical lower-case SMBIOS UUID, if one was sent and it is not a placeholder. */
  uuid?: string;
  arch?: Arch;
  platform?: Platform;
  /** 0 for the first request; the retry path re-chains with attempt + 1. */
  attempt: number;
  /** The path segment as received (without `.ipxe`), for messages. Untrusted. */
  rawMac: string;
  problems: IdentityProblem[];
}

export interface IdentityProblem {
  field: "mac" | "uuid" | "arch" | "platform" | "attempt";
  /** The offending value as received. Untrusted: render only through echo-text. */
  value: string;
  message: string;
}

/** Where query values come from; `URLSearchParams` fits. */
export interface QueryValues {
  get(name: string): string | null;
}

/** More attempts than this is not a retry loop swiftboot wrote. */
const MAX_ATTEMPT = 1000;

/**
 * Firmware that has no real UUID reports one of these, shared by every such machine, so they
 * must not identify a node.
 */
const PLACEHOLDER_UUIDS = new Set([
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
]);

const ARCH_SET: ReadonlySet<string> = new Set(ARCHES);
const PLATFORM_SET: ReadonlySet<string> = new Set(PLATFORMS);

export function parseBootIdentity(macSegment: string, query: QueryValues): BootIdentity {
  const rawMac = macSegment.endsWith(".ipxe") ? macSegment.slice(0, -5) : macSegment;
  const problems: IdentityProblem[] = [];
  const identity: BootIdentity = { attempt: 0, rawMac, problems };

  const mac = normalizeMac(rawMac);
  if (mac !== undefined) identity.mac = mac;
  else problems.push({ field: "mac", value: rawMac, message: "is not a MAC address" });

  // iPXE expands an unset `${uuid}` to nothing, so an empty value means "not sent".
  const uuid = query.get("uuid");
  if (uuid) {
    const normalized = normalizeUuid(uuid);
    if (normalized === undefined) {
      problems.push({ field: "uuid", value: uuid, message: "is not a UUID" });
    } else if (PLACEHOLDER_UUIDS.has(normalized)) {
      problems.push({
        field: "uuid",
        value: uuid,
        message: "is a placeholder, not a machine's UUID",
      });
    } else {
      identity.uuid = normalized;
    }
  }

  const arch = query.get("arch");
  if (arch) {
    if (ARCH_SET.has(arch)) identity.arch = arch as Arch;
    else
      problems.push({ field: "arch", value: arch, message: "is not an iPXE build architecture" });
  }

  const platform = query.get("platform");
  if (platform) {
    if (PLATFORM_SET.has(platform)) identity.platform = platform as Platform;
    else problems.push({ field: "platform", value: platform, message: "is not an iPXE platform" });
  }

  const attempt = query.get("attempt");
  if (attempt) {
    const n = /^\d{1,4}$/.test(attempt) ? Number(attempt) : Number.NaN;
    if (n <= MAX_ATTEMPT) identity.attempt = n;
    else
      problems.push({
        field: "attempt",
        value: attempt,
        message: `is not a number from 0 to ${MAX_ATTEMPT}`,
      });
  }

  return identity;
}

/** `52-54-00-ab-cd-ef`, the form `${mac:hexhyp}` prints and the boot path uses. */
export function macHexhyp(mac: string): string {
  return mac.replace(/:/g, "-"); // a little cheaper than replaceAll; runs twice per script
}

/** One line for logs and consoles: `mac 52:54:00:ab:cd:ef uuid (none) arch x86_64 platform efi`. */
export function describeIdentity(identity: BootIdentity): string {
  return [
    `MAC ${identity.mac ?? identity.rawMac}`,
    `UUID ${identity.uuid ?? "(none)"}`,
    `arch ${identity.arch ?? "(unknown)"}`,
    `platform ${identity.platform ?? "(unknown)"}`,
  ].join(", ");
}
