/**
 * What the 2019 iPXE build (Debian 12's `ipxe` / `ipxe-qemu`, 1.0.0+git-20190125.36a4c85) puts on
 * the HTTP request line for a URL it was given, so tests can check that a signed URL still works
 * after iPXE has handled it.
 *
 * That build's parse_uri() percent-decodes every URI field in place, and format_uri() re-encodes
 * the path and the query when it writes the request:
 * - decode: "%" followed by one or two hex digits becomes that byte ("%4" too); a "%" not followed
 *   by a hex digit stays a "%". Nothing else changes ("+" stays "+").
 * - encode (path and query alike): a byte is escaped when it is not printable ASCII
 *   (outside 0x20-0x7e), a space, "%", or one of "#:@?". Everything else is sent raw, so
 *   "%2B" -> "+", "%26" -> "&", "%3D" -> "=", "%2F" -> "/".
 * - bytes >= 0x80 are formatted from a signed char: "é" (C3 A9) becomes "%FFFFFFC3%FFFFFFA9".
 *   So a URL with non-ASCII bytes in its path or query does not reach the server intact.
 *
 * Observed on this machine by booting /usr/lib/ipxe/ipxe.lkrn in QEMU with `imgfetch` of such
 * URLs against a logging HTTP server (see docs/swift.md), e.g.
 *   /one/a%20b+c%2Bd%25e%C3%A9%26f%3Dg%3Fh%23i%3Aj@k%2Fl?q=a%2Bb%26c%3Dd%3Ae%20f%25g+h/i@j
 *   -> GET /one/a%20b+c+d%25e%FFFFFFC3%FFFFFFA9&f=g%3Fh%23i%3Aj%40k/l?q=a+b&c=d%3Ae%20f%25g+h/i%40j
 * Not modelled: strtoul's tolerance of a sign or whitespace after "%" ("%+1"), fragments, and
 * userinfo (irrelevant to the request line).
 */

const HEX = /^[0-9A-Fa-f]$/;

/** parse_uri()'s in-place decoding of one field, as bytes. */
export function ipxe2019Decode(field: string): Uint8Array {
  const input = new TextEncoder().encode(field);
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as number;
    if (c === 0x25 /* % */) {
      let digits = "";
      for (let j = 1; j <= 2 && i + j < input.length; j++) {
        const ch = String.fromCharCode(input[i + j] as number);
        if (!HEX.test(ch)) break;
        digits += ch;
      }
      if (digits.length > 0) {
        out.push(Number.parseInt(digits, 16));
        i += digits.length;
        continue;
      }
    }
    out.push(c);
  }
  return Uint8Array.from(out);
}

const ESCAPED = new Set(Array.from("#:@?", (ch) => ch.charCodeAt(0)));

/** format_uri()'s encoding of the path or query field (uri_character_escaped + "%%%02X"). */
export function ipxe2019Encode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    const printable = b >= 0x20 && b <= 0x7e;
    if (!printable || b === 0x20 || b === 0x25 || ESCAPED.has(b)) {
      // A char is signed on x86: bytes >= 0x80 are promoted to negative ints, printed as unsigned.
      out += b >= 0x80 ? `%FFFFFF${hex2(b)}` : `%${hex2(b)}`;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, "0");
}

/**
 * The request target ("/path?query") iPXE 2019 sends for an http URL. The fragment (from the
 * first "#") is dropped and the query starts at the first "?", as in parse_uri().
 */
export function ipxe2019RequestTarget(url: string): string {
  const noFragment = url.split("#", 1)[0] ?? "";
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*(.*)$/.exec(noFragment);
  if (m === null) throw new Error(`not an absolute http URL: ${url}`);
  const rest = m[1] ?? "";
  const q = rest.indexOf("?");
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  const path = ipxe2019Encode(ipxe2019Decode(rawPath === "" ? "/" : rawPath));
  if (q === -1) return path;
  return `${path}?${ipxe2019Encode(ipxe2019Decode(rest.slice(q + 1)))}`;
}

/** The URL with its path and query replaced by what iPXE 2019 puts on the request line. */
export function ipxe2019Reencode(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)/.exec(url);
  if (m === null) throw new Error(`not an absolute http URL: ${url}`);
  return (m[1] ?? "") + ipxe2019RequestTarget(url);
}
