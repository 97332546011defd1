import { tokenProblem } from "./tokens.ts";

/**
 * Whether a URL can be placed in a script and reach the server meaning the same thing.
 *
 * Besides being a safe token, the URL must survive iPXE's URI handling: the 2019 build that
 * Debian ships percent-decodes the query and encodes it again, escaping only `%`, `#`, `:`, `@`,
 * `?`, `/`, space and non-printable characters. So `%2B` reaches the server as `+` (a space to
 * most query parsers) and `%26` as `&` (a new parameter). A query escape is only safe if it
 * decodes to a character iPXE escapes again. Paths are not checked that way: both Swift and the
 * artifact route decode the path before using it, so `%2B` and `+` name the same object there.
 * Anywhere in the URL, an escaped byte >= 0x80 (UTF-8) is refused: that build re-encodes such
 * bytes as `%FFFFFFxx` (a signed char), so the server gets a different path and answers 401.
 */

const REESCAPED_IN_QUERY = new Set(["%", "#", ":", "@", "?", "/"]);
const HEX = /^[0-9A-Fa-f]{2}$/;

/** An http(s) URL of printable ASCII with no `#` and no `%`: safe unless `${` or a trailing `\`. */
const PLAIN_URL = /^https?:\/\/[!"$&-~]*$/;

export function ipxeUrlProblem(url: string): string | undefined {
  // Every script carries several URLs; most have no escape at all and pass on one regexp.
  if (PLAIN_URL.test(url) && url.charCodeAt(url.length - 1) !== 0x5c && !url.includes("${")) {
    return undefined;
  }
  const problem = tokenProblem(url);
  if (problem !== undefined) return problem;
  if (!url.startsWith("http://") && !url.startsWith("https://")) return "not an http(s) URL";
  if (url.includes("#")) return "contains '#'";
  const q = url.indexOf("?");
  for (let i = url.indexOf("%"); i !== -1; i = url.indexOf("%", i + 1)) {
    const hex = url.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return "malformed percent escape";
    const code = Number.parseInt(hex, 16);
    if (code >= 0x80) return `escaped non-ASCII byte %${hex}, which the 2019 iPXE mangles`;
    const inQuery = q !== -1 && i > q;
    if (
      inQuery &&
      code > 0x20 &&
      code !== 0x7f &&
      !REESCAPED_IN_QUERY.has(String.fromCharCode(code))
    ) {
      return `query escape %${hex} would reach the server decoded`;
    }
  }
  return undefined;
}
