import { describe, expect, it } from "vitest";
import { samLocalDefaults } from "./environment/sam-local.ts";
import { parseSecretsArn, parseSecretsDocument, SecretsError } from "./environment/secrets.ts";
import { emfFields } from "./telemetry/emf.ts";
import { requestMetrics } from "./telemetry/request-metrics.ts";

describe("parseSecretsArn", () => {
  it("reads Secrets Manager and SSM parameter ARNs", () => {
    expect(
      parseSecretsArn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf"),
    ).toEqual({
      service: "secretsmanager",
      region: "eu-west-1",
      id: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf",
    });
    expect(
      parseSecretsArn("arn:aws:ssm:us-east-1:123456789012:parameter/swiftboot/secrets"),
    ).toEqual({ service: "ssm", region: "us-east-1", id: "/swiftboot/secrets" });
    expect(parseSecretsArn("arn:aws:ssm:us-east-1:123456789012:parameter/flat").id).toBe("flat");
  });

  it.each([
    "swiftboot",
    "arn:aws:s3:::bucket",
    "arn:aws:ssm:us-east-1:123456789012:document/x",
    "arn:aws:secretsmanager:us-east-1:123456789012:parameter/x",
  ])("refuses %s", (arn) => {
    expect(() => parseSecretsArn(arn)).toThrow(SecretsError);
  });
});

describe("parseSecretsDocument", () => {
  it("turns dotted secret options into a config layer, skipping empty placeholders", () => {
    expect(
      parseSecretsDocument(
        JSON.stringify({
          "artifacts.signing_key": "k".repeat(32),
          "swift.temp_url_key": "",
          "admin.tokens": "admin:abc",
        }),
      ),
    ).toEqual({ artifacts: { signing_key: "k".repeat(32) }, admin: { tokens: "admin:abc" } });
  });

  it("refuses anything but secret options, and anything but JSON strings", () => {
    expect(() => parseSecretsDocument('{"ipxe.use_swift": "true"}')).toThrow(/not a secret option/);
    expect(() => parseSecretsDocument('{"artifacts.signing_key": 5}')).toThrow(/not a string/);
    expect(() => parseSecretsDocument("key=value")).toThrow(/not JSON/);
    expect(() => parseSecretsDocument("[]")).toThrow(/JSON object/);
  });

  it("never echoes a secret value in its errors", () => {
    try {
      parseSecretsDocument('{"artifacts.signing_key": 12345678901234567}');
    } catch (error) {
      expect(String(error)).not.toContain("12345678901234567");
    }
  });
});

describe("request metrics", () => {
  it("counts boot requests by state and URL mode, and unknown machines", () => {
    expect(
      requestMetrics({
        path: "/boot/52-54-00-00-00-01.ipxe",
        status: 200,
        outcome: "unknown",
        url_mode: "swift",
      }),
    ).toEqual([
      {
        dimensions: { BootState: "unknown", UrlMode: "swift" },
        metrics: { BootRequests: { value: 1, unit: "Count" } },
      },
      { dimensions: {}, metrics: { UnknownMachines: { value: 1, unit: "Count" } } },
    ]);
  });

  it("counts cache hits, misses and fill bytes; folds undimensioned metrics into one set", () => {
    expect(
      requestMetrics({ path: "/v1/artifacts/k/c/f", status: 200, cache: "fill", bytes: 42 }),
    ).toEqual([
      {
        dimensions: {},
        metrics: {
          CacheMisses: { value: 1, unit: "Count" },
          FillBytes: { value: 42, unit: "Bytes" },
        },
      },
    ]);
    expect(requestMetrics({ path: "/v1/artifacts/k/c/f", status: 200, cache: "redirect" })).toEqual(
      [{ dimensions: {}, metrics: { CacheHits: { value: 1, unit: "Count" } } }],
    );
    expect(requestMetrics({ path: "/healthz", status: 200 })).toEqual([]);
  });

  it("writes EMF: the directive plus top-level values", () => {
    expect(
      emfFields(
        "swiftboot",
        [
          {
            dimensions: { UrlMode: "swift" },
            metrics: { BootRequests: { value: 1, unit: "Count" } },
          },
        ],
        5,
      ),
    ).toEqual({
      _aws: {
        Timestamp: 5,
        CloudWatchMetrics: [
          {
            Namespace: "swiftboot",
            Dimensions: [["UrlMode"]],
            Metrics: [{ Name: "BootRequests", Unit: "Count" }],
          },
        ],
      },
      UrlMode: "swift",
      BootRequests: 1,
    });
    expect(emfFields("swiftboot", [], 5)).toEqual({});
  });
});

describe("sam local defaults", () => {
  it("apply only under SAM and only without a secrets ARN", () => {
    expect(samLocalDefaults({ AWS_SAM_LOCAL: "true" }, "")).toMatchObject({
      artifacts: { signing_key: expect.any(String) },
    });
    expect(samLocalDefaults({ AWS_SAM_LOCAL: "true" }, "arn:aws:...")).toBeUndefined();
    expect(samLocalDefaults({}, undefined)).toBeUndefined();
  });
});
