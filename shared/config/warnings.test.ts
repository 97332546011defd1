import { describe, expect, it } from "vitest";
import { parseConfig } from "./load.ts";
import { plainHttpWarnings } from "./warnings.ts";

const KEY = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "artifact-key-0123456789abcdef" };

describe("plainHttpWarnings", () => {
  it("says nothing for plain-http settings", () => {
    expect(
      plainHttpWarnings(
        parseConfig({ env: { ...KEY, SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.example" } }),
      ),
    ).toEqual([]);
    expect(plainHttpWarnings(parseConfig({ env: KEY }))).toEqual([]);
  });

  it("warns of an https public_url, an https Swift endpoint and presigned redirects", () => {
    const [publicUrl] = plainHttpWarnings(
      parseConfig({ env: { ...KEY, SWIFTBOOT_IPXE_PUBLIC_URL: "https://boot.example" } }),
    );
    expect(publicUrl).toMatch(/^ipxe\.public_url is https \(https:\/\/boot\.example\): stock iPXE/);
    const swift = plainHttpWarnings(
      parseConfig({
        env: {
          SWIFTBOOT_IPXE_USE_SWIFT: "true",
          SWIFTBOOT_SWIFT_ENDPOINT_URL: "https://swift.example",
          SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
          SWIFTBOOT_SWIFT_TEMP_URL_KEY: "temp-url-key-0123456789",
        },
      }),
    );
    expect(swift).toHaveLength(1);
    expect(swift[0]).toMatch(/^swift\.endpoint_url is https/);
    const redirect = plainHttpWarnings(
      parseConfig({ env: { ...KEY, SWIFTBOOT_CACHE_REDIRECT: "true" } }),
    );
    expect(redirect).toHaveLength(1);
    expect(redirect[0]).toMatch(/^cache\.redirect is on/);
  });
});
