import { TempUrlError } from "./errors.ts";
import { parseTimestamp, TIME_ERRMSG } from "./py-timestamp.ts";
import { signTempUrl } from "./sign.ts";
import type { TempUrlDigest } from "./types.ts";

export interface GenerateTempUrlOptions {
  /** `seconds` is a Unix time rather than an offset from now (ignored for ISO 8601 input). */
  absolute?: boolean;
  prefix?: boolean;
  iso8601?: boolean;
  /** Falsy (undefined, null, "") means no range, as in Python. */
  ipRange?: string | null;
  digest?: TempUrlDigest;
}

/**
 * python-swiftclient's `generate_temp_url(path, seconds, key, method, absolute, prefix, iso8601,
 * ip_range, digest)`: same arguments, same output byte for byte, same error messages for what
 * Python rejects (checked in the same order: time, digest, path).
 *
 * `seconds`: a number or a string as Python reads it (see py-timestamp.ts): "3600", "1h",
 * "2030-01-01T00:00:00Z". Relative values are added to `nowSeconds` (default: the clock) and
 * truncated, as `int(time.time() + seconds)`.
 *
 * Stricter than Python, because Swift would answer 401 or the URL would be misleading:
 * unknown methods (Python only logs a warning), ip ranges that are not valid networks, an empty
 * key, a version other than v1, an object name of only slashes, negative relative offsets
 * ("-5m"), expiry before 1970 or beyond 2^53 - 1.
 */
export function generateTempUrl(
  path: string,
  seconds: number | string,
  key: string,
  method: string,
  options: GenerateTempUrlOptions = {},
  nowSeconds: number = Date.now() / 1000,
): string {
  const parsed = parseTimestamp(seconds, options.absolute === true);
  if (parsed === undefined) throw new TempUrlError("expires", TIME_ERRMSG);
  if (!parsed.absolute && parsed.timestamp < 0) {
    throw new TempUrlError("expires", `seconds must not be negative, got ${String(seconds)}`);
  }
  const expires = parsed.absolute ? parsed.timestamp : Math.trunc(nowSeconds + parsed.timestamp);
  return signTempUrl({
    path,
    key,
    method,
    expires,
    digest: options.digest ?? "sha256",
    prefix: options.prefix === true,
    ipRange: options.ipRange ?? undefined,
    iso8601: options.iso8601 === true,
  });
}
