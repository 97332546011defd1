import { TempUrlError, type TempUrlField } from "./errors.ts";
import { isWellFormed } from "./unicode.ts";

const SLASH = 0x2f;

// python-swiftclient's own messages, so `swiftboot tempurl` errors read like `swift tempurl`'s.
const NOT_OBJECT_PATH = "path must be full path to an object e.g. /v1/a/c/o";
const NOT_PREFIX_PATH = "path must at least contain /v1/a/c/";

/**
 * Validates a temp URL path and returns the index where the object name (or, for prefix URLs,
 * the prefix) starts.
 *
 * First the check python-swiftclient makes (`path.split('/', 4)` has five parts, the first empty,
 * account and container present, object present unless prefix-based), then what Swift's tempurl
 * middleware adds, since a URL failing those can only ever get 401: the version segment must be
 * `v1`, and an object name must hold something besides slashes.
 */
export function tempUrlPathStart(path: string, prefix: boolean): number {
  if (typeof path !== "string") throw new TempUrlError("path", "path must be a string");
  const s1 = path.indexOf("/", 1);
  const s2 = s1 < 0 ? -1 : path.indexOf("/", s1 + 1);
  const s3 = s2 < 0 ? -1 : path.indexOf("/", s2 + 1);
  if (
    path.charCodeAt(0) !== SLASH ||
    s1 < 2 ||
    s2 <= s1 + 1 ||
    s3 <= s2 + 1 ||
    (!prefix && s3 + 1 >= path.length)
  ) {
    throw new TempUrlError("path", prefix ? NOT_PREFIX_PATH : NOT_OBJECT_PATH);
  }
  if (s1 !== 3 || path.charCodeAt(1) !== 0x76 || path.charCodeAt(2) !== 0x31) {
    throw new TempUrlError(
      "path",
      `path must start with /v1/ (Swift's tempurl middleware serves only /v1/<account>/<container>/<object>), got ${JSON.stringify(path)}`,
    );
  }
  if (!prefix) {
    let i = s3 + 1;
    while (i < path.length && path.charCodeAt(i) === SLASH) i++;
    if (i === path.length) {
      throw new TempUrlError(
        "path",
        `object name must contain a character other than "/", got ${JSON.stringify(path)}`,
      );
    }
  }
  if (!isWellFormed(path)) {
    throw new TempUrlError("path", "path is not valid Unicode (it holds an unpaired surrogate)");
  }
  return s3 + 1;
}

// Python's urllib.parse.quote() leaves only these (plus `safe`) unencoded.
const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~") {
  UNRESERVED[c.charCodeAt(0)] = 1;
}
const PCT = Array.from(
  { length: 256 },
  (_, b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
);
const pct = (byte: number): string => PCT[byte] as string;

/**
 * Percent-encodes like Python's `urllib.parse.quote(s, safe)` with `safe` either "/" or "":
 * UTF-8, upper-case hex, only `A-Z a-z 0-9 _ . - ~` (and `/` if kept) left as is.
 */
export function percentEncode(s: string, keepSlash: boolean, field: TempUrlField): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (UNRESERVED[c] === 0 && !(keepSlash && c === SLASH))) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out += UNRESERVED[c] === 1 || (keepSlash && c === SLASH) ? s[i] : pct(c);
    } else if (c < 0x800) {
      out += pct(0xc0 | (c >> 6)) + pct(0x80 | (c & 0x3f));
    } else if (c < 0xd800 || c > 0xdfff) {
      out += pct(0xe0 | (c >> 12)) + pct(0x80 | ((c >> 6) & 0x3f)) + pct(0x80 | (c & 0x3f));
    } else {
      const d = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) {
        throw new TempUrlError(
          field,
          `${field} is not valid Unicode (it holds an unpaired surrogate)`,
        );
      }
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      out +=
        pct(0xf0 | (cp >> 18)) +
        pct(0x80 | ((cp >> 12) & 0x3f)) +
        pct(0x80 | ((cp >> 6) & 0x3f)) +
        pct(0x80 | (cp & 0x3f));
      i++;
    }
  }
  return out;
}

/**
 * The path as it must appear in an HTTP request line so that Swift, which percent-decodes
 * PATH_INFO (`+` stays `+`), sees exactly the path that was signed. Space, `%`, `?`, `#`, `+`,
 * non-ASCII and every other reserved character are encoded; `/` is kept. Identical to
 * python-swiftclient's `quote(path)`; returns `path` itself when nothing needs encoding.
 *
 * In iPXE (the 2019 build in Debian 12), which decodes the path and re-encodes only controls,
 * space, `%`, `#`, `:`, `@`, `?` and bytes >= 0x80: an ASCII path survives, since whatever it
 * leaves decoded (`+`, `&`, `=`, `;`...) means the same to Swift in a path. Non-ASCII does not:
 * that build prints bytes >= 0x80 as `%FFFFFFxx` (signed char), so Swift gets a different path
 * and answers 401. Object names meant for iPXE must be ASCII. The result holds no whitespace and
 * no `$`, so it is always a safe iPXE script token.
 */
export function toUrlPath(path: string): string {
  return percentEncode(path, true, "path");
}
