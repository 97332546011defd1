/**
 * The iPXE 2019 re-encoding model (test/support/ipxe-reencode.ts) against request lines that
 * Debian 12's iPXE (1.0.0+git-20190125.36a4c85, /usr/lib/ipxe/ipxe.lkrn under QEMU) really sent
 * for `imgfetch` of these URLs to a logging HTTP server on this machine.
 */
import { describe, expect, it } from "vitest";
import {
  ipxe2019Decode,
  ipxe2019Encode,
  ipxe2019Reencode,
  ipxe2019RequestTarget,
} from "../../support/ipxe-reencode.ts";

const OBSERVED: [url: string, requestTarget: string][] = [
  [
    "http://10.0.2.2:18931/one/a%20b+c%2Bd%25e%C3%A9%26f%3Dg%3Fh%23i%3Aj@k%2Fl~m!n'o(p)q*r,s;t?q=a%2Bb%26c%3Dd%3Ae%20f%25g%C3%A9+h/i@j~k!l'm(n)o*p,q;r%3Fs%23t&u=v",
    "/one/a%20b+c+d%25e%FFFFFFC3%FFFFFFA9&f=g%3Fh%23i%3Aj%40k/l~m!n'o(p)q*r,s;t?q=a+b&c=d%3Ae%20f%25g%FFFFFFC3%FFFFFFA9+h/i%40j~k!l'm(n)o*p,q;r%3Fs%23t&u=v",
  ],
  [
    "http://10.0.2.2:18931/two/x?temp_url_sig=sha512:ab%2Bcd%2Fef%3D%3D&temp_url_expires=2026-11-24T20%3A05%3A08Z&temp_url_prefix=p%20q%2Br&filename=a%26b",
    "/two/x?temp_url_sig=sha512%3Aab+cd/ef==&temp_url_expires=2026-11-24T20%3A05%3A08Z&temp_url_prefix=p%20q+r&filename=a&b",
  ],
  [
    "http://10.0.2.2:18931/three/caf%c3%a9%7e?x=%7e%41%zz%4",
    "/three/caf%FFFFFFC3%FFFFFFA9~?x=~A%25zz%04",
  ],
];

describe("iPXE 2019 request line model", () => {
  it.each(OBSERVED)("%s", (url, target) => {
    expect(ipxe2019RequestTarget(url)).toBe(target);
    expect(ipxe2019Reencode(url)).toBe(`http://10.0.2.2:18931${target}`);
  });

  it("leaves a hex-signed ASCII temp URL alone", () => {
    const url =
      "http://127.0.0.1:8080/v1/AUTH_test/c/deploy.kernel?temp_url_sig=0123abcd&temp_url_expires=1795551310";
    expect(ipxe2019Reencode(url)).toBe(url);
  });

  it("is stable for ASCII: re-encoding its own output changes nothing", () => {
    const [, target] = OBSERVED[1] ?? ["", ""];
    expect(ipxe2019RequestTarget(`http://h${target}`)).toBe(target);
  });

  it("is not stable for non-ASCII: %FFFFFFC3 decodes to 0xFF followed by 'FFFFC3'", () => {
    expect(ipxe2019RequestTarget("http://h/%FFFFFFC3")).toBe("/%FFFFFFFFFFFFC3");
  });

  it("decodes one or two hex digits after %, and keeps a lone %", () => {
    expect(Array.from(ipxe2019Decode("%41%4%zz%"))).toEqual([0x41, 0x04, 0x25, 0x7a, 0x7a, 0x25]);
    expect(ipxe2019Encode(Uint8Array.of(0x20, 0x25, 0x2b, 0x7f, 0xe9))).toBe("%20%25+%7F%FFFFFFE9");
  });
});
