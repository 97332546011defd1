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

  it("takes the runtime's endpoint and credentials over the configuration's", () => {
    const credentials = { accessKeyId: "a", secretAccessKey: "b" };
    expect(storeOptions(config, { endpoint: "http://127.0.0.1:9000", credentials })).toEqual({
      table: "boot-table",
      region: "eu-west-1",
      timeoutMs: 1500,
      endpoint: "http://127.0.0.1:9000",
      credentials,
    });
    // An explicit undefined endpoint means AWS's regional one, whatever the configuration says.
    expect(storeOptions(config, { endpoint: undefined })).not.toHaveProperty("endpoint");
  });
});
