/**
 * The part of Python 3.11's `urllib.parse.urlparse` that `swift tempurl` relies on: it accepts
 * a path or a full storage URL, signs `urlparse(arg).path` and prints `scheme://netloc` in front
 * again. So query, fragment and `;params` of the last segment are dropped, tabs and newlines
 * removed, leading controls and spaces stripped, and the scheme lower-cased.
 */

export interface StorageUrl {
  /** `scheme://netloc` when the argument had both, else "". */
  origin: string;
  path: string;
}

const SCHEME_CHARS = new Set(
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.".split(""),
);
const USES_PARAMS = new Set([
  "",
  "ftp",
  "hdl",
  "prospero",
  "http",
  "imap",
  "https",
  "shttp",
  "rtsp",
  "rtspu",
  "sip",
  "sips",
  "mms",
  "sftp",
  "tel",
]);

function isAsciiAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Splits like urlparse; throws "Invalid IPv6 URL" where Python raises it. */
export function splitStorageUrl(arg: string): StorageUrl {
  let start = 0;
  while (start < arg.length && arg.charCodeAt(start) <= 0x20) start++;
  let url = "";
  for (let i = start; i < arg.length; i++) {
    const ch = arg[i] as string;
    if (ch !== "\t" && ch !== "\r" && ch !== "\n") url += ch;
  }

  let scheme = "";
  const colon = url.indexOf(":");
  if (colon > 0 && isAsciiAlpha(url.charCodeAt(0))) {
    let all = true;
    for (let i = 0; i < colon && all; i++) all = SCHEME_CHARS.has(url[i] as string);
    if (all) {
      scheme = url.slice(0, colon).toLowerCase();
      url = url.slice(colon + 1);
    }
  }

  let netloc = "";
  if (url.startsWith("//")) {
    let end = url.length;
    for (const delim of ["/", "?", "#"]) {
      const at = url.indexOf(delim, 2);
      if (at >= 0 && at < end) end = at;
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    if (netloc.includes("[") !== netloc.includes("]")) throw new Error("Invalid IPv6 URL");
  }

  const hash = url.indexOf("#");
  if (hash >= 0) url = url.slice(0, hash);
  const question = url.indexOf("?");
  if (question >= 0) url = url.slice(0, question);

  if (USES_PARAMS.has(scheme) && url.includes(";")) {
    const lastSlash = url.lastIndexOf("/");
    const semicolon = lastSlash >= 0 ? url.indexOf(";", lastSlash) : url.indexOf(";");
    if (semicolon >= 0) url = url.slice(0, semicolon);
  }

  return { origin: scheme !== "" && netloc !== "" ? `${scheme}://${netloc}` : "", path: url };
}
