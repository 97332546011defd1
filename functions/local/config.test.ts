import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../shared/config/index.ts";
import { loadLocalConfig } from "./config.ts";

const made: string[] = [];
const dir = () => {
  const path = mkdtempSync(join(tmpdir(), "swiftboot-config-"));
  made.push(path);
  return path;
};
afterAll(() => {
  for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
});

describe("loadLocalConfig", () => {
  it("generates an artifact signing key once, keeps it private, and reuses it", () => {
    const data = dir();
    const a = loadLocalConfig({ SWIFTBOOT_LOCAL_DATA_DIR: data });
    const b = loadLocalConfig({ SWIFTBOOT_LOCAL_DATA_DIR: data });
    expect(a.artifacts.signing_key).toMatch(/^[0-9a-f]{64}$/);
    expect(b.artifacts.signing_key).toBe(a.artifacts.signing_key);
    const file = join(data, "artifact-signing-key");
    expect(readFileSync(file, "utf8").trim()).toBe(a.artifacts.signing_key);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it("generates the key in Swift mode too (callback URLs), and still demands the Swift settings", () => {
    const data = dir();
    expect(() =>
      loadLocalConfig({ SWIFTBOOT_LOCAL_DATA_DIR: data, SWIFTBOOT_IPXE_USE_SWIFT: "true" }),
    ).toThrow(ConfigError);
    const swift = loadLocalConfig({
      SWIFTBOOT_LOCAL_DATA_DIR: data,
      SWIFTBOOT_IPXE_USE_SWIFT: "true",
      SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift.example:8080",
      SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
      SWIFTBOOT_SWIFT_CONTAINER: "images",
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: "a-temp-url-key-of-some-length",
    });
    expect(swift.artifacts.signing_key).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(data, "artifact-signing-key"), "utf8").trim()).toBe(
      swift.artifacts.signing_key,
    );
  });

  it("reads a YAML or JSON config file named by SWIFTBOOT_CONFIG_FILE; the environment wins", () => {
    const data = dir();
    const yaml = join(data, "swiftboot.yaml");
    writeFileSync(yaml, "ipxe:\n  retries: 7\n  fail_action: reboot\nserver:\n  port: 9000\n");
    const c = loadLocalConfig({
      SWIFTBOOT_CONFIG_FILE: yaml,
      SWIFTBOOT_LOCAL_DATA_DIR: data,
      SWIFTBOOT_SERVER_PORT: "9100",
    });
    expect(c.ipxe.retries).toBe(7);
    expect(c.ipxe.fail_action).toBe("reboot");
    expect(c.server.port).toBe(9100);
    const json = join(data, "swiftboot.json");
    writeFileSync(json, JSON.stringify({ local: { data_dir: data }, ipxe: { timeout_ms: 1500 } }));
    expect(loadLocalConfig({ SWIFTBOOT_CONFIG_FILE: json }).ipxe.timeout_ms).toBe(1500);
  });

  it("names the file when it is missing or malformed", () => {
    const data = dir();
    expect(() => loadLocalConfig({ SWIFTBOOT_CONFIG_FILE: join(data, "nope.yaml") })).toThrow(
      /SWIFTBOOT_CONFIG_FILE: cannot read .*nope\.yaml \(ENOENT\)/,
    );
    const bad = join(data, "bad.yaml");
    writeFileSync(bad, "ipxe: [unclosed\n");
    expect(() => loadLocalConfig({ SWIFTBOOT_CONFIG_FILE: bad })).toThrow(
      /bad\.yaml is not valid YAML or JSON/,
    );
    const wrong = join(data, "wrong.yaml");
    writeFileSync(wrong, `local: { data_dir: ${JSON.stringify(data)} }\nipxe: { retries: lots }\n`);
    expect(() => loadLocalConfig({ SWIFTBOOT_CONFIG_FILE: wrong })).toThrow(
      /config file ipxe\.retries: expected a whole number from 0 to 50/,
    );
  });
});
