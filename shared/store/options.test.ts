import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/index.ts";
import { storeOptions } from "./options.ts";

describe("storeOptions", () => {
  const config = parseConfig({
    env: {
      SWIFTBOOT_STORE_TABLE: "boot-table",
      SWIFTBOOT_STORE_REGION: "eu-west-1",
      SWIFTBOOT_STORE_TIMEOUT_MS: "1500",
      SWIFTBOOT_STORE_ENDPOINT: "http://127.0.0.1:8000",
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "store-options-test-signing-key-0123",
    },
  });

  it("names the configured table, region, time budget and endpoint", () => {
    expect(storeOptions(config)).toEqual({
      table: "boot-table",
      region: "eu-west-1",
      timeoutMs: 1500,
      endpoint: "http://127.0.0.1:8000",
    });
  });

  it("leaves out the endpoint when none is configured (AWS's regional one)", () => {
    const regional = parseConfig({
      env: {
        SWIFTBOOT_STORE_TABLE: "boot-table",
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "store-options-test-signing-key-0123",
      },
    });
    expect(storeOptions(regional)).not.toHaveProperty("endpoint");
    expect(storeOptions(regional).table).toBe("boot-table");
  });
});
