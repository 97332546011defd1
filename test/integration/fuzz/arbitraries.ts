import fc from "fast-check";

/**
 * Hostile request parts for the HTTP fuzz tests: text that breaks scripts, URL tricks (dot
 * segments, encoded slashes and NULs, bad escapes, very long segments), hosts and header values.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
export const SOCKET_RUNS = Number(process.env.FUZZ_SOCKET_RUNS ?? 300);

const HOSTILE = [
  "${",
  "}",
  "${net0/ip}",
  "${x}",
  "$",
  "||",
  "&&",
  ";",
  "#",
  "\\",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\u0000",
  "\u00a0",
  "\u2028",
  "é",
  "東",
  "😀",
  "%",
  "%%",
  "%zz",
  "%00",
  "%0a",
  "%0d%0a",
  "%2F",
  "%2f",
  "%5C",
  "%2e%2e",
  "%24%7B",
  "%7D",
  "%E0%A4%A",
  "%C0%AE",
  "..",
  ".",
  "/",
  "//",
  "?",
  "&",
  "=",
  ":",
  "@",
  "shell",
  "chain http://evil/x",
  "goto x",
  ".ipxe",
  "52-54-00-12-34-56",
  "52:54:00:12:34:56",
  "525400123456",
];

export const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: "binary", maxLength: 4 })), {
    maxLength: 10,
  })
  .map((parts) => parts.join(""));

export const anyText = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 40 }) },
);

const hex2 = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, "0"));
export const randomMac = fc
  .tuple(fc.array(hex2, { minLength: 6, maxLength: 6 }), fc.constantFrom(":", "-", ""))
  .map(([bytes, sep]) => bytes.join(sep));

/** A MAC string in any of the accepted forms and cases. */
export function macForms(mac: string): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(":", "-", ""), fc.boolean()).map(([sep, upper]) => {
    const s = mac.replaceAll(":", sep);
    return upper ? s.toUpperCase() : s;
  });
}

/** How a segment is put into the URL: raw (tricks and all), encoded, or half-encoded. */
export function encoded(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.constantFrom("raw", "component", "uri", "double")).map(([s, how]) => {
    switch (how) {
      case "component":
        return encodeURIComponent(s);
      case "uri":
        return encodeURI(s);
      case "double":
        return encodeURIComponent(encodeURIComponent(s));
      default:
        return s;
    }
  });
}

export const longSegment = fc
  .tuple(fc.integer({ min: 200, max: 12_000 }), fc.constantFrom("a", "%41", "0", "-", "${", "%00"))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

export const BOOT_PREFIXES = [
  "/boot/",
  "/boot//",
  "/boot/../boot/",
  "/boot/./",
  "/./boot/",
  "/x/../boot/",
  "/%62oot/",
  "/boot%2F",
  "/BOOT/",
  "//boot/",
  "/boot/a/",
];
export const SUFFIXES = [
  ".ipxe",
  ".ipxe",
  ".ipxe",
  "",
  ".IPXE",
  ".ipxe/",
  ".ipxe%00",
  ".ipxe;x",
  ".ipxe/..",
];
export const WHOLE_PATHS = [
  "/boot.ipxe",
  "/boot.ipxe",
  "/boot.ipxe/",
  "/boot.ipxe/..",
  "/boot.ipxe%00",
  "/boot%2Eipxe",
  "/boot",
  "/boot/",
  "/",
  "/..",
  "/../../etc/passwd",
  "/v1",
];

export const queryString = fc.oneof(
  fc.constant(""),
  fc
    .record(
      {
        uuid: fc.oneof(fc.uuid(), anyText),
        arch: fc.oneof(fc.constantFrom("x86_64", "i386", "arm64", "X86_64"), anyText),
        platform: fc.oneof(fc.constantFrom("efi", "pcbios"), anyText),
        attempt: fc.oneof(fc.nat({ max: 1200 }).map(String), anyText),
      },
      { requiredKeys: [] },
    )
    .map((q) => new URLSearchParams(q).toString()),
  fc
    .array(fc.tuple(encoded(anyText), encoded(anyText)), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&")),
  encoded(anyText),
  fc
    .tuple(fc.constantFrom("uuid", "arch", "platform", "attempt"), fc.nat({ max: 3 }))
    .map(([k, n]) => Array.from({ length: n + 2 }, (_, i) => `${k}=${i}`).join("&")),
);

/** Host header values; the in-process tests use those a URL can carry. */
export const hostText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("boot.example", "boot.example:8080", "10.0.2.2:8080") },
  { weight: 1, arbitrary: fc.constantFrom("[fd00::1]:80", "localhost", "BOOT.EXAMPLE.") },
  { weight: 3, arbitrary: anyText },
  { weight: 1, arbitrary: anyText.map((s) => `${s}@boot.example`) },
  { weight: 1, arbitrary: longSegment },
);

/** Printable header values (what a Request can carry), some of them huge. */
export const headerValue = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 60 }).map((s) => s.replace(/[\r\n\0]/g, "")),
  fc.integer({ min: 1_000, max: 64_000 }).map((n) => "x".repeat(n)),
);
export const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
