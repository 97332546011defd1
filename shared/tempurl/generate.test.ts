import { describe, expect, it } from "vitest";
import { TempUrlError } from "./errors.ts";
import { generateTempUrl } from "./generate.ts";
import { TIME_ERRMSG } from "./py-timestamp.ts";

// Expected URLs recorded from python3-swiftclient 4.1's generate_temp_url.
describe("generateTempUrl", () => {
  it("matches python-swiftclient for absolute times", () => {
    expect(generateTempUrl("/v1/a/c/o", 1, "k", "get", { absolute: true })).toBe(
      "/v1/a/c/o?temp_url_sig=1108228414a9c50412b3abb8308627af392cfc205b1c93523f4cc3f6fe27d50a&temp_url_expires=1",
    );
    expect(generateTempUrl("/v1/a/c/ö ü?x#y", 1, "k", "get", { absolute: true })).toBe(
      "/v1/a/c/ö ü?x#y?temp_url_sig=e5b43e185b502f38c0d44c62d93370281360dde7c179db02282efac9cabc1626&temp_url_expires=1",
    );
    expect(
      generateTempUrl("/v1/a/c/o", "1", "k", "GET", { absolute: true, digest: "sha512" }),
    ).toBe(
      "/v1/a/c/o?temp_url_sig=sha512:rhsDHuoygQ8Gq4CF9egRxfTG2papbbdtDG-DCQxiiAS1i4sfc0KCN5gKxVlyrdl7_4RnSBx-kW0IYruq0XXECA&temp_url_expires=1",
    );
    expect(
      generateTempUrl("/v1/a/c/o", 1, "k", "GET", { absolute: true, iso8601: true, ipRange: "" }),
    ).toBe(
      "/v1/a/c/o?temp_url_sig=1108228414a9c50412b3abb8308627af392cfc205b1c93523f4cc3f6fe27d50a&temp_url_expires=1970-01-01T00:00:01Z",
    );
  });

  it("adds relative seconds to now and truncates, like int(time.time() + seconds)", () => {
    const now = 1700000000.9;
    const url = generateTempUrl("/v1/a/c/o", "1h", "k", "GET", {}, now);
    expect(url).toContain("&temp_url_expires=1700003600");
    expect(generateTempUrl("/v1/a/c/o", 3600, "k", "GET", {}, now)).toBe(url);
    expect(generateTempUrl("/v1/a/c/o", 1700003600, "k", "GET", { absolute: true })).toBe(url);
  });

  it("treats ISO 8601 as absolute even without absolute", () => {
    expect(generateTempUrl("/v1/a/c/o", "2017-12-05T21:16:03Z", "k", "GET", {}, 5)).toBe(
      generateTempUrl("/v1/a/c/o", 1512508563, "k", "GET", { absolute: true }),
    );
  });

  it("reports errors in Python's order and words", () => {
    expect(() => generateTempUrl("/bad", "1.5", "k", "GET", { digest: "md5" as "sha1" })).toThrow(
      TIME_ERRMSG,
    );
    expect(() => generateTempUrl("/bad", 1, "k", "GET", { digest: "md5" as "sha1" })).toThrow(
      "digest must be one of sha1, sha256, or sha512",
    );
    expect(() => generateTempUrl("/bad", 1, "k", "FOO")).toThrow(
      "path must be full path to an object e.g. /v1/a/c/o",
    );
  });

  it("is stricter than Python where Swift would refuse the URL", () => {
    const strict: [() => string, string][] = [
      [() => generateTempUrl("/v1/a/c/o", 1, "k", "FOO", { absolute: true }), "method"],
      [() => generateTempUrl("/v1/a/c/o", 1, "", "GET", { absolute: true }), "key"],
      [() => generateTempUrl("/v2/a/c/o", 1, "k", "GET", { absolute: true }), "path"],
      [() => generateTempUrl("/v1/a/c/o", "-5m", "k", "GET", {}, 1e9), "expires"],
      [() => generateTempUrl("/v1/a/c/o", "1960-01-01", "k", "GET"), "expires"],
      [() => generateTempUrl("/v1/a/c/o", 1, "k", "GET", { ipRange: "1.2.3.4/24" }), "ipRange"],
    ];
    for (const [call, field] of strict) {
      expect(call).toThrow(TempUrlError);
      try {
        call();
      } catch (error) {
        expect((error as TempUrlError).field).toBe(field);
      }
    }
  });
});
