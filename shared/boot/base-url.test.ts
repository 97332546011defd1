// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cacheConfig } from "../../test/support/boot/fixtures.ts";
import { baseUrlFromRequest, baseUrlResolver, InvalidBaseUrlError } from "./base-url.ts";

const config = cacheConfig();

describe("baseUrlFromRequest", () => {
  it("prefers ipxe.public_url", () => {
    const c = cacheConfig({ ipxe: { public_url: "http://boot.example:8080/" } });
    expect(baseUrlFromRequest(c, "http://evil.example/boot.ipxe")).toBe("http://boot.example:8080");
  });

  it.each([
    ["http://Boot.Example:8080/boot.ipxe?x=1", "http://boot.example:8080"],
    ["https://boot.example/boot.ipxe", "https://boot.example"],
    ["http://boot.example:80/boot.ipxe", "http://boot.example"],
    ["http://10.0.2.2:8080/boot.ipxe", "http://10.0.2.2:8080"],
    ["http://[::1]:8080/boot.ipxe", "http://[::1]:8080"],
    ["http://my_host.lan/boot.ipxe", "http://my_host.lan"],
    // WHATWG URL parsing has already turned an IDN into its ASCII form.
    ["http://münchen.example/boot.ipxe", "http://xn--mnchen-3ya.example"],
  ])("derives %s -> %s", (url, base) => {
    expect(baseUrlFromRequest(config, url)).toBe(base);
  });

  it.each([
    "http://${x}/boot.ipxe",
    "http://a'b/boot.ipxe",
    "http://a&b/boot.ipxe",
    "http://a;b/boot.ipxe",
    "http://a$b/boot.ipxe",
    "http://-a/boot.ipxe",
    "ftp://boot.example/boot.ipxe",
    "not a url",
  ])("refuses %s with a 400", (url) => {
    let error: unknown;
    try {
      baseUrlFromRequest(config, url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidBaseUrlError);
    expect((error as InvalidBaseUrlError).status).toBe(400);
  });
});

describe("baseUrlResolver", () => {
  const outcome = (f: () => string) => {
    try {
      return f();
    } catch (error) {
      if (!(error instanceof InvalidBaseUrlError)) throw error;
      return `refused: ${error.message}`;
    }
  };

  it("answers as baseUrlFromRequest for any sequence of request URLs (property)", () => {
    const host = fc.constantFrom(
      "h",
      "H",
      "h:80",
      "h:8080",
      "[::1]:1",
      "a$b",
      "a{b}",
      "x.y",
      "",
      "u@h",
      "h:99999",
      "h\\x",
      "é",
      "/h",
      "h\t",
      "%41",
      "h?",
      "1.2.3.4:5",
    );
    const rest = fc.constantFrom("/boot/x.ipxe", "/", "", "?a=/b", "#/x", "/a//b", "\\p/q", "?x");
    const scheme = fc.constantFrom(
      "http://",
      "https://",
      "ftp://",
      "http:",
      "http:/",
      "HTTP://",
      " http://",
    );
    const url = fc.tuple(scheme, host, rest).map(([s, h, r]) => `${s}${h}${r}`);
    fc.assert(
      fc.property(fc.array(url, { maxLength: 20 }), (urls) => {
        const resolve = baseUrlResolver(config);
        for (const u of urls) {
          assert.equal(
            outcome(() => resolve(u)),
            outcome(() => baseUrlFromRequest(config, u)),
            u,
          );
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("prefers ipxe.public_url and stays bounded under many hosts", () => {
    const c = cacheConfig({ ipxe: { public_url: "http://boot.example:8080/" } });
    expect(baseUrlResolver(c)("http://evil.example/boot.ipxe")).toBe("http://boot.example:8080");
    const resolve = baseUrlResolver(config);
    for (let i = 0; i < 500; i++) expect(resolve(`http://h${i}.lan/x`)).toBe(`http://h${i}.lan`);
    expect(() => resolve("http://a$b/x")).toThrow(InvalidBaseUrlError);
    expect(() => resolve("http://a$b/y")).toThrow(InvalidBaseUrlError);
  });
});
