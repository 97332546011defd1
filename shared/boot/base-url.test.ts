// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { describe, expect, it } from "vitest";
import { cacheConfig } from "../../test/support/boot/fixtures.ts";
import { baseUrlFromRequest, InvalidBaseUrlError } from "./base-url.ts";

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
