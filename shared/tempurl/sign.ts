/**
 * Swift temp URL signing.
 *
 * HMAC message: `[ip=<range>\n]<METHOD>\n<expires>\n[prefix:]<path>`, key and message UTF-8,
 * expires always the integer. Signature: lower-case hex for sha1/sha256, `sha512:` + URL-safe
 * base64 without padding for sha512 (what python-swiftclient emits and Swift accepts).
 *
 * Two renderings of the same signature:
 * - `signTempUrl` is byte-identical to python-swiftclient's `generate_temp_url`: the path as
 *   given (not percent-encoded, unicode kept), then `temp_url_sig`, `temp_url_expires`,
 *   `temp_url_ip_range`, `temp_url_prefix` with their values raw. Fine for plain ASCII paths.
 * - `toUrlPath(path) + "?" + signTempUrlQuery(req)` is what to put on the wire when the path or
 *   prefix may hold spaces, unicode, `%`, `?`, `#` or `+`: every value percent-encoded, so
 *   Swift decodes back exactly what was signed.
 * `filename` and `inline` (not signed, unknown to python-swiftclient) come last in both, with
 * the filename percent-encoded.
 *
 * In an iPXE script (the 2019 build decodes the query, then re-encodes only controls, space,
 * `%`, `#`, `:`, `@`, `?`, and bytes >= 0x80 wrongly as `%FFFFFFxx`): the signature (hex or
 * URL-safe base64), the expiry (digits, or ISO 8601 whose `:` is re-encoded and decoded again by
 * Swift) and IP ranges (ASCII) survive. A prefix or filename survives only if it is ASCII without
 * `+` or `&`: iPXE turns `%2B` back into `+`, which Swift reads as a space, and `%26` into `&`,
 * which splits the parameter. The path: see toUrlPath.
 */
import { hmacAsync, hmacSync, toHex } from "../crypto/index.ts";
import { toBase64Url } from "./base64url.ts";
import { TempUrlError } from "./errors.ts";
import { checkExpires, formatIso8601 } from "./expiry.ts";
import { ipRangeProblem } from "./ip-range.ts";
import { percentEncode, tempUrlPathStart } from "./path.ts";
import type { TempUrlDigest, TempUrlRequest } from "./types.ts";
import { isWellFormed } from "./unicode.ts";

/** The methods Swift's tempurl middleware allows by default (its `methods` setting). */
export const TEMP_URL_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"] as const;
const METHODS = new Map<string, string>(TEMP_URL_METHODS.map((m) => [m, m]));

export const TEMP_URL_DIGESTS: readonly TempUrlDigest[] = ["sha1", "sha256", "sha512"];
const DIGESTS = new Set<string>(TEMP_URL_DIGESTS);

function canonicalMethod(method: string | undefined): string {
  if (method === undefined) return "GET";
  const exact = METHODS.get(method);
  if (exact !== undefined) return exact;
  const upper = typeof method === "string" ? METHODS.get(method.toUpperCase()) : undefined;
  if (upper !== undefined) return upper;
  throw new TempUrlError(
    "method",
    `method must be one of ${TEMP_URL_METHODS.join(", ")}, got ${JSON.stringify(method)}`,
  );
}

/** Everything but the signature: validated once, shared by the sync and async paths. */
interface Signable {
  digest: TempUrlDigest;
  key: string;
  message: string;
  /** Query after `temp_url_sig=<sig>`, starting with `&temp_url_expires=`. */
  tail: string;
}

function prepare(req: TempUrlRequest, encodeValues: boolean): Signable {
  const digest = req.digest ?? "sha256";
  if (!DIGESTS.has(digest)) {
    throw new TempUrlError("digest", "digest must be one of sha1, sha256, or sha512");
  }
  const prefix = req.prefix === true;
  const objectStart = tempUrlPathStart(req.path, prefix);
  const method = canonicalMethod(req.method);
  const { key, expires, ipRange } = req;
  checkExpires(expires);
  if (typeof key !== "string" || key.length === 0) {
    throw new TempUrlError("key", "key must be a non-empty string");
  }
  if (!isWellFormed(key)) {
    throw new TempUrlError("key", "key is not valid Unicode (it holds an unpaired surrogate)");
  }

  const expiresText = `${expires}`;
  let tail = `&temp_url_expires=${req.iso8601 === true ? formatIso8601(expires) : expiresText}`;
  // Like python-swiftclient (`if ip_range:`), an empty range means no range.
  if (ipRange !== undefined && ipRange !== "") {
    const problem =
      typeof ipRange === "string" ? ipRangeProblem(ipRange) : "ip range must be a string";
    if (problem !== undefined) throw new TempUrlError("ipRange", problem);
    tail += `&temp_url_ip_range=${encodeValues ? percentEncode(ipRange, true, "ipRange") : ipRange}`;
  }
  if (prefix) {
    const value = req.path.slice(objectStart);
    tail += `&temp_url_prefix=${encodeValues ? percentEncode(value, true, "path") : value}`;
  }
  if (req.filename !== undefined && req.filename !== "") {
    tail += `&filename=${percentEncode(req.filename, false, "filename")}`;
  }
  if (req.inline === true) tail += "&inline";
  return {
    digest,
    key,
    message: tempUrlMessage(method, expiresText, req.path, prefix, ipRange),
    tail,
  };
}

/** The HMAC input; `method` already upper case, `path` unencoded. */
export function tempUrlMessage(
  method: string,
  expires: string,
  path: string,
  prefix: boolean,
  ipRange?: string,
): string {
  const body = `${method}\n${expires}\n${prefix ? "prefix:" : ""}${path}`;
  return ipRange === undefined || ipRange === "" ? body : `ip=${ipRange}\n${body}`;
}

// node:crypto hands back Buffers, whose native encoders are several times faster than ours.
type NodeBuffer = { isBuffer(value: unknown): boolean };
type EncodableBuffer = { toString(encoding: "hex" | "base64url"): string };
const NodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** `temp_url_sig` for a raw HMAC: hex, or `sha512:` + unpadded URL-safe base64. */
export function encodeSignature(digest: TempUrlDigest, mac: Uint8Array): string {
  if (NodeBuffer?.isBuffer(mac) === true) {
    const buffer = mac as unknown as EncodableBuffer;
    // Node's base64url has no padding, like Python's urlsafe_b64encode(...).strip('=').
    return digest === "sha512" ? `sha512:${buffer.toString("base64url")}` : buffer.toString("hex");
  }
  return digest === "sha512" ? `sha512:${toBase64Url(mac)}` : toHex(mac);
}

/**
 * `<path>?temp_url_sig=...&temp_url_expires=...[...]`, byte-identical to python-swiftclient's
 * `generate_temp_url(path, expires, key, method, absolute=True, ...)`. Synchronous: needs
 * node:crypto (Node, Workers with nodejs_compat); use signTempUrlAsync elsewhere.
 */
export function signTempUrl(req: TempUrlRequest): string {
  const s = prepare(req, false);
  return `${req.path}?temp_url_sig=${encodeSignature(s.digest, hmacSync(s.digest, s.key, s.message))}${s.tail}`;
}

/** signTempUrl on any runtime (Web Crypto where node:crypto is missing). */
export async function signTempUrlAsync(req: TempUrlRequest): Promise<string> {
  const s = prepare(req, false);
  const mac = await hmacAsync(s.digest, s.key, s.message);
  return `${req.path}?temp_url_sig=${encodeSignature(s.digest, mac)}${s.tail}`;
}

/**
 * Only the query string (no `?`), every value percent-encoded: request
 * `toUrlPath(req.path) + "?" + signTempUrlQuery(req)`.
 */
export function signTempUrlQuery(req: TempUrlRequest): string {
  const s = prepare(req, true);
  return `temp_url_sig=${encodeSignature(s.digest, hmacSync(s.digest, s.key, s.message))}${s.tail}`;
}

/** signTempUrlQuery on any runtime. */
export async function signTempUrlQueryAsync(req: TempUrlRequest): Promise<string> {
  const s = prepare(req, true);
  const mac = await hmacAsync(s.digest, s.key, s.message);
  return `temp_url_sig=${encodeSignature(s.digest, mac)}${s.tail}`;
}
