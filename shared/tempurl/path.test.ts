import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TempUrlError } from "./errors.ts";
import { percentEncode, tempUrlPathStart, toUrlPath } from "./path.ts";

describe("tempUrlPathStart", () => {
  it("returns where the object name or prefix starts", () => {
    expect(tempUrlPathStart("/v1/AUTH_test/images/ipa/deploy.kernel", false)).toBe(21);
    expect(tempUrlPathStart("/v1/a/c/", true)).toBe(8);
    expect(tempUrlPathStart("/v1/a/c//x", false)).toBe(8);
  });

  it("uses python-swiftclient's messages for what it rejects", () => {
    expect(() => tempUrlPathStart("/v1/a/c", false)).toThrow(
      "path must be full path to an object e.g. /v1/a/c/o",
    );
    expect(() => tempUrlPathStart("/v1/a/c", true)).toThrow("path must at least contain /v1/a/c/");
  });

  it("throws TempUrlError for the path field", () => {
    try {
      tempUrlPathStart("nope", false);
    } catch (error) {
      expect(error).toBeInstanceOf(TempUrlError);
      expect((error as TempUrlError).field).toBe("path");
    }
  });
});

describe("toUrlPath", () => {
  it("encodes like Python's urllib.parse.quote(path)", () => {
    expect(toUrlPath("/v1/AUTH_test/images/ipa/deploy.kernel")).toBe(
      "/v1/AUTH_test/images/ipa/deploy.kernel",
    );
    expect(toUrlPath("/v1/a/c/ö ü?x#y+%~")).toBe("/v1/a/c/%C3%B6%20%C3%BC%3Fx%23y%2B%25~");
    expect(toUrlPath("/v1/a/c/$" + "{x}&=;:@!'()*,")).toBe(
      "/v1/a/c/%24%7Bx%7D%26%3D%3B%3A%40%21%27%28%29%2A%2C",
    );
    expect(toUrlPath("/v1/a/c/\u{1f680}\u20ac")).toBe("/v1/a/c/%F0%9F%9A%80%E2%82%AC");
  });

  it("returns the same string when nothing needs encoding", () => {
    const path = "/v1/AUTH_x/c/a-b_c.d~e";
    expect(toUrlPath(path)).toBe(path);
  });

  it("rejects unpaired surrogates", () => {
    expect(() => toUrlPath("/v1/a/c/\ud800")).toThrow(TempUrlError);
    expect(() => percentEncode("\udc00", false, "filename")).toThrow(/filename/);
  });

  it("round-trips through decodeURIComponent and leaves only safe characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        const encoded = toUrlPath(s);
        expect(decodeURIComponent(encoded)).toBe(s);
        expect(encoded).toMatch(/^[A-Za-z0-9_.\-~/%]*$/);
      }),
      { numRuns: 500 },
    );
  });
});
