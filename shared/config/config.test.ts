import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigReference } from "./docs.ts";
import { ConfigError, parseConfig } from "./load.ts";
import { redactConfig, secretsOf } from "./redact.ts";

const KEY = "0123456789abcdef-key";
const ok = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: KEY };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("applies embedded defaults", () => {
    const c = parseConfig({ env: ok });
    expect(c.ipxe).toEqual({
      use_swift: false,
      retries: 3,
      retry_delay: 5,
      timeout_ms: 0,
      fail_action: "exit",
      unknown_action: "fail",
    });
    expect(c.callback).toEqual({ ttl: 10_800, adopt_macs: false });
    expect(c.discovery).toEqual({ ttl_days: 7 });
    expect(c.swift).toMatchObject({
      api_version: "v1",
      temp_url_duration: 300,
      temp_url_digest: "sha256",
      temp_url_bind_ip: false,
    });
    expect(c.server).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(c.store).toMatchObject({ table: "swiftboot", region: "us-east-1" });
  });

  it("reads SWIFTBOOT_<GROUP>_<OPTION> variables and converts their types", () => {
    const c = parseConfig({
      env: {
        ...ok,
        SWIFTBOOT_IPXE_RETRIES: "7",
        SWIFTBOOT_IPXE_FAIL_ACTION: "reboot",
        SWIFTBOOT_SWIFT_TEMP_URL_BIND_IP: "true",
        SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.example:8080/",
      },
    });
    expect(c.ipxe.retries).toBe(7);
    expect(c.ipxe.fail_action).toBe("reboot");
    expect(c.swift.temp_url_bind_ip).toBe(true);
    expect(c.ipxe.public_url).toBe("http://boot.example:8080");
  });

  it("needs a discovery kernel and ramdisk when unknown machines are to boot one", () => {
    expect(
      problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_IPXE_UNKNOWN_ACTION: "discover" } })),
    ).toEqual([
      "SWIFTBOOT_DISCOVERY_KERNEL (discovery.kernel): is required when ipxe.unknown_action is discover",
      "SWIFTBOOT_DISCOVERY_RAMDISK (discovery.ramdisk): is required when ipxe.unknown_action is discover",
    ]);
    const c = parseConfig({
      env: {
        ...ok,
        SWIFTBOOT_IPXE_UNKNOWN_ACTION: "discover",
        SWIFTBOOT_DISCOVERY_KERNEL: "disc-kernel",
        SWIFTBOOT_DISCOVERY_RAMDISK: "disc-ramdisk",
      },
    });
    expect(c.discovery).toMatchObject({ kernel: "disc-kernel", ramdisk: "disc-ramdisk" });
  });

  it("takes a previous artifact signing key for rotations: a secret, new, never alone", () => {
    const previous = "the-retired-key-0123456789";
    const c = parseConfig({ env: { ...ok, SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY: previous } });
    expect(c.artifacts.previous_signing_key).toBe(previous);
    expect(secretsOf(c)).toContain(previous);
    expect(redactConfig(c).artifacts?.previous_signing_key).toBe("[redacted]");

    const same = problemsOf(() =>
      parseConfig({ env: { ...ok, SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY: KEY } }),
    );
    expect(same).toEqual([
      "SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY (artifacts.previous_signing_key): is the same as artifacts.signing_key (a rotation needs a new key)",
    ]);
    const alone = problemsOf(() =>
      parseConfig({
        env: {
          SWIFTBOOT_IPXE_USE_SWIFT: "true",
          SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift:8080",
          SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
          SWIFTBOOT_SWIFT_TEMP_URL_KEY: "swift-temp-url-key-0123",
          SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY: previous,
        },
      }),
    );
    expect(alone).toEqual([
      "SWIFTBOOT_ARTIFACTS_PREVIOUS_SIGNING_KEY (artifacts.previous_signing_key): is set without artifacts.signing_key (the current key)",
    ]);
    // Neither message carries a key.
    expect([...same, ...alone].join(" ")).not.toMatch(new RegExp(`${KEY}|${previous}`));
  });

  it("lets the environment override the config file", () => {
    const c = parseConfig({
      env: { ...ok, SWIFTBOOT_IPXE_RETRIES: "1" },
      file: { ipxe: { retries: 9, timeout_ms: 500 } },
    });
    expect(c.ipxe.retries).toBe(1);
    expect(c.ipxe.timeout_ms).toBe(500);
  });

  it("names the variable and what it expects", () => {
    expect(
      problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_IPXE_RETRIES: "many" } })),
    ).toEqual(["SWIFTBOOT_IPXE_RETRIES (ipxe.retries): expected a whole number from 0 to 50"]);
    expect(
      problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_IPXE_FAIL_ACTION: "poweroff" } })),
    ).toEqual([
      "SWIFTBOOT_IPXE_FAIL_ACTION (ipxe.fail_action): expected one of exit, reboot, shell",
    ]);
    expect(
      problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_IPXE_USE_SWIFT: "maybe" } })),
    ).toEqual(["SWIFTBOOT_IPXE_USE_SWIFT (ipxe.use_swift): expected true or false"]);
  });

  it("refuses use_swift without a temp URL key, endpoint and account", () => {
    const problems = problemsOf(() => parseConfig({ env: { SWIFTBOOT_IPXE_USE_SWIFT: "true" } }));
    expect(problems).toEqual([
      "SWIFTBOOT_SWIFT_ENDPOINT_URL (swift.endpoint_url): is required when ipxe.use_swift is true",
      "SWIFTBOOT_SWIFT_ACCOUNT (swift.account): is required when ipxe.use_swift is true",
      "SWIFTBOOT_SWIFT_TEMP_URL_KEY (swift.temp_url_key): is required when ipxe.use_swift is true",
    ]);
  });

  it("refuses cache mode without an artifact signing key", () => {
    expect(problemsOf(() => parseConfig({ env: {} }))).toEqual([
      "SWIFTBOOT_ARTIFACTS_SIGNING_KEY (artifacts.signing_key): is required when ipxe.use_swift is false (artifact URLs are signed with it)",
    ]);
  });

  it("rejects unknown variables and groups, so typos are caught", () => {
    expect(problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_IPXE_RETRY: "2" } }))).toEqual([
      "SWIFTBOOT_IPXE_RETRY: not a swiftboot option (see docs/configuration.md)",
    ]);
    expect(problemsOf(() => parseConfig({ env: ok, file: { ipx: {} } }))).toEqual([
      'config file ipx: unknown option group "ipx"',
    ]);
    expect(problemsOf(() => parseConfig({ env: ok, file: { ipxe: { retires: 2 } } }))[0]).toContain(
      "ipxe",
    );
  });

  it("never puts a secret value into an error message", () => {
    const key = "short-key";
    const problems = problemsOf(() =>
      parseConfig({ env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: key } }),
    );
    expect(problems.join("\n")).not.toContain(key);
    expect(problems[0]).toContain("SWIFTBOOT_ARTIFACTS_SIGNING_KEY");
  });

  it("redacts secrets for printing", () => {
    const c = parseConfig({ env: ok });
    expect(JSON.stringify(redactConfig(c))).not.toContain(KEY);
    expect(secretsOf(c)).toEqual([KEY]);
  });
});

describe("docs/configuration.md", () => {
  it("is exactly what the schema renders (run `npm run docs:config` after changing options)", () => {
    const committed = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    expect(committed).toBe(renderConfigReference());
  });
});
