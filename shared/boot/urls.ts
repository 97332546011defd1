import type { Image } from "../model/index.ts";
import { signTempUrlQuery, TempUrlError, toUrlPath } from "../tempurl/index.ts";
import { artifactUrlFor, sharedSwiftUrl } from "./image-parts.ts";
import type { ArtifactUrlSettings, BootSettings, SwiftUrlSettings } from "./settings.ts";

/**
 * Download URLs for a plan's kernel and ramdisk, minted per request so they are always fresh:
 * Swift temp URLs (`ipxe.use_swift`) or swiftboot's own signed artifact URLs. Pure apart from
 * HMAC; the clock comes in as `now`.
 */
export interface MintContext {
  settings: BootSettings;
  /** Unix time in seconds. */
  now: number;
  /** swiftboot's base URL (artifact mode). */
  baseUrl: string;
  /** The requesting machine's address, for `swift.temp_url_bind_ip`. */
  clientIp?: string;
}

export type MintedUrls =
  | { ok: true; kernel: string; ramdisk: string; expiresAt: number }
  | { ok: false; reason: string };

export function mintBootUrls(kernel: Image, ramdisk: Image, ctx: MintContext): MintedUrls {
  const urls = ctx.settings.urls;
  const expiresAt = Math.floor(ctx.now) + urls.lifetime;
  return urls.mode === "swift"
    ? mintSwift(kernel, ramdisk, urls, expiresAt, ctx.clientIp)
    : mintArtifacts(kernel, ramdisk, urls, expiresAt, ctx.baseUrl);
}

function mintSwift(
  kernel: Image,
  ramdisk: Image,
  s: SwiftUrlSettings,
  expires: number,
  clientIp: string | undefined,
): MintedUrls {
  if (s.endpoint === undefined || s.accountPrefix === undefined || s.key === undefined) {
    return {
      ok: false,
      reason: "swift.endpoint_url, swift.account and swift.temp_url_key must be set",
    };
  }
  let ipRange: string | undefined;
  if (s.bindIp) {
    if (clientIp === undefined || clientIp === "") {
      return {
        ok: false,
        reason: "swift.temp_url_bind_ip is set but the client address is unknown",
      };
    }
    ipRange = unmapIpv4(clientIp);
  }
  const base = {
    endpoint: s.endpoint,
    accountPrefix: s.accountPrefix,
    key: s.key,
    digest: s.digest,
  };
  // Without a client address in it, a temp URL is the same for every machine booting the image
  // in this second: minted once (image-parts.ts). Bound to an address, it is the machine's own.
  const url = (image: Image) =>
    ipRange === undefined
      ? sharedSwiftUrl(image, s, expires, () =>
          swiftUrl(image, s.defaultContainer, base, expires, undefined),
        )
      : swiftUrl(image, s.defaultContainer, base, expires, ipRange);
  const k = url(kernel);
  if (typeof k !== "string") return k;
  const r = url(ramdisk);
  if (typeof r !== "string") return r;
  return { ok: true, kernel: k, ramdisk: r, expiresAt: expires };
}

interface SwiftBase {
  endpoint: string;
  accountPrefix: string;
  key: string;
  digest: SwiftUrlSettings["digest"];
}

function swiftUrl(
  image: Image,
  defaultContainer: string | undefined,
  base: SwiftBase,
  expires: number,
  ipRange: string | undefined,
): string | { ok: false; reason: string } {
  const container = image.swift.container ?? defaultContainer;
  if (container === undefined) {
    return {
      ok: false,
      reason: `image ${image.id} names no Swift container and swift.container is not set`,
    };
  }
  // Signed over the decoded path, as Swift checks it; the URL carries the encoded one, and the
  // query's values are percent-encoded (an IPv6 range's `:` as %3A, which iPXE keeps).
  const path = `${base.accountPrefix}${container}/${image.swift.object}`;
  let query: string;
  try {
    query = signTempUrlQuery({
      path,
      key: base.key,
      method: "GET",
      expires,
      digest: base.digest,
      ipRange,
    });
  } catch (error) {
    if (error instanceof TempUrlError) {
      return {
        ok: false,
        reason: `cannot sign a temp URL for image ${image.id}: ${error.message}`,
      };
    }
    throw error;
  }
  return `${base.endpoint}${toUrlPath(path)}?${query}`;
}

/** `::ffff:10.0.0.5` (how dual-stack sockets report IPv4 peers) is `10.0.0.5` to Swift. */
function unmapIpv4(ip: string): string {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(ip) ? ip.slice(7) : ip;
}

function mintArtifacts(
  kernel: Image,
  ramdisk: Image,
  a: ArtifactUrlSettings,
  expires: number,
  baseUrl: string,
): MintedUrls {
  const key = a.key;
  if (key === undefined) return { ok: false, reason: "artifacts.signing_key must be set" };
  return {
    ok: true,
    kernel: artifactUrlFor(kernel, a.defaultContainer, baseUrl, expires, key),
    ramdisk: artifactUrlFor(ramdisk, a.defaultContainer, baseUrl, expires, key),
    expiresAt: expires,
  };
}
