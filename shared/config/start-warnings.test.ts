import { describe, expect, it } from "vitest";
import { imageSchema } from "../model/index.ts";
import { parseConfig } from "./index.ts";
import { configWarnings, imageWarnings } from "./start-warnings.ts";

const CACHE = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "0123456789abcdef-key" };
const SWIFT = {
  SWIFTBOOT_IPXE_USE_SWIFT: "true",
  SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift.example:8080",
  SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
};
const config = (env: Record<string, string>) => parseConfig({ env });

describe("configWarnings", () => {
  it("says nothing about the defaults", () => {
    expect(configWarnings(config(CACHE))).toEqual([]);
  });

  it("warns about a timeout in seconds, an https public URL and a short temp URL key", () => {
    const warnings = configWarnings(
      config({
        ...SWIFT,
        SWIFTBOOT_SWIFT_TEMP_URL_KEY: "abc",
        SWIFTBOOT_IPXE_TIMEOUT_MS: "60",
        SWIFTBOOT_IPXE_PUBLIC_URL: "https://boot.example",
      }),
    );
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^ipxe\.timeout_ms is 60: milliseconds.*60000 here/);
    expect(warnings[1]).toMatch(/^ipxe\.public_url is https .*stock iPXE/);
    expect(warnings[2]).toMatch(/^swift\.temp_url_key is 3 characters: accepted/);
    expect(warnings.join("\n")).not.toContain("abc");
    expect(configWarnings(config({ ...CACHE, SWIFTBOOT_IPXE_TIMEOUT_MS: "1000" }))).toEqual([]);
  });
});

describe("swift.temp_url_key", () => {
  it("accepts any non-empty key (Swift sets no minimum), and refuses none in Swift mode", () => {
    expect(config({ ...SWIFT, SWIFTBOOT_SWIFT_TEMP_URL_KEY: "k" }).swift.temp_url_key).toBe("k");
    expect(() => config({ ...SWIFT, SWIFTBOOT_SWIFT_TEMP_URL_KEY: "" })).toThrow(
      /SWIFTBOOT_SWIFT_TEMP_URL_KEY \(swift\.temp_url_key\): is required/,
    );
  });

  it("still wants 16 characters for swiftboot's own signing key", () => {
    expect(() => config({ SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "short" })).toThrow(
      /expected at least 16 characters/,
    );
  });
});

describe("imageWarnings", () => {
  const noOrigin = imageSchema.parse({ id: "k", name: "k", swift: { object: "k" } });
  const withOrigin = imageSchema.parse({
    id: "r",
    name: "r",
    swift: { object: "r" },
    origin: "http://images.example/r",
  });

  it("names cache-mode images nothing can fill", () => {
    expect(imageWarnings(config(CACHE), [noOrigin, withOrigin])).toEqual([
      expect.stringMatching(/^image k has no origin, and Swift is not configured/),
    ]);
  });

  it("is quiet when Swift can fill them, or in Swift mode", () => {
    const fillable = config({
      ...CACHE,
      SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift.example:8080",
      SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
      SWIFTBOOT_SWIFT_CONTAINER: "images",
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: "a-temp-url-key",
    });
    expect(imageWarnings(fillable, [noOrigin])).toEqual([]);
    expect(
      imageWarnings(config({ ...SWIFT, SWIFTBOOT_SWIFT_TEMP_URL_KEY: "k" }), [noOrigin]),
    ).toEqual([]);
  });
});
