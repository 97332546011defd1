// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are iPXE script text, where ${...} is iPXE's own syntax
import { describe, expect, it } from "vitest";
import { ipxeUrlProblem } from "./url.ts";

describe("ipxeUrlProblem", () => {
  it("accepts URLs with hex and digit query values", () => {
    expect(
      ipxeUrlProblem("http://swift:8080/v1/AUTH_t/c/a%20b?temp_url_sig=ab12&temp_url_expires=17"),
    ).toBe(undefined);
  });

  it("accepts query escapes iPXE encodes again", () => {
    expect(ipxeUrlProblem("http://h/x?ip=fe80%3A%3A1%2F64")).toBe(undefined);
  });

  it("refuses query escapes iPXE would decode for good", () => {
    expect(ipxeUrlProblem("http://h/x?sig=a%2Bb")).toMatch(/%2B/);
    expect(ipxeUrlProblem("http://h/x?a=%26b")).toMatch(/%26/);
    expect(ipxeUrlProblem("http://h/x?a=%zz")).toMatch(/malformed/);
    expect(ipxeUrlProblem("http://h/x%4")).toMatch(/malformed/);
  });

  it("does not judge ASCII path escapes (servers decode paths)", () => {
    expect(ipxeUrlProblem("http://h/a%2Bb/c%3A")).toBe(undefined);
  });

  it("refuses escaped non-ASCII bytes, which the 2019 iPXE sends as %FFFFFFxx", () => {
    expect(ipxeUrlProblem("http://h/m%C3%BCnchen")).toMatch(/non-ASCII byte %C3/);
    expect(ipxeUrlProblem("http://h/x?a=%e2%82%ac")).toMatch(/non-ASCII byte %e2/);
  });

  it("refuses unsafe tokens, fragments and other schemes", () => {
    expect(ipxeUrlProblem("http://h/${x}")).toBe("variable expansion");
    expect(ipxeUrlProblem("http://h/a b")).toBe("whitespace or control character");
    expect(ipxeUrlProblem("http://h/a#b")).toMatch(/#/);
    expect(ipxeUrlProblem("tftp://h/a")).toMatch(/http/);
  });
});
