import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./load.ts";
import { redactConfig, secretsOf } from "./redact.ts";

const ok = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "0123456789abcdef-key" };
const HASH = "a".repeat(64);

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("admin options", () => {
  it("default to no tokens (admin API off) and 30 days of boot history", () => {
    expect(parseConfig({ env: ok }).admin).toEqual({ boot_history_days: 30 });
  });

  it("accept a list of <scope>:<sha256> entries, kept secret", () => {
    const tokens = `read:${HASH}, admin:${"B".repeat(64)}`;
    const config = parseConfig({ env: { ...ok, SWIFTBOOT_ADMIN_TOKENS: tokens } });
    expect(config.admin.tokens).toBe(tokens);
    expect(secretsOf(config)).toContain(tokens);
    expect(JSON.stringify(redactConfig(config))).not.toContain(HASH);
  });

  it("refuse malformed entries by position, without echoing the secret", () => {
    const bad = `read:${HASH},owner:${HASH},admin:xyz-not-a-hash-at-all`;
    const problems = problemsOf(() => parseConfig({ env: { ...ok, SWIFTBOOT_ADMIN_TOKENS: bad } }));
    expect(problems).toEqual([
      "SWIFTBOOT_ADMIN_TOKENS (admin.tokens): entry 2 is not <read|admin>:<64 hex digits> (the SHA-256 of a token; see `swiftboot token`)",
      "SWIFTBOOT_ADMIN_TOKENS (admin.tokens): entry 3 is not <read|admin>:<64 hex digits> (the SHA-256 of a token; see `swiftboot token`)",
    ]);
    expect(problems.join("\n")).not.toContain(HASH);
  });
});

describe("SWIFTBOOT_* variables that are not options", () => {
  it("lets the CLI's API URL and token through, and still rejects typos", () => {
    const env = {
      ...ok,
      SWIFTBOOT_API_URL: "http://127.0.0.1:8080",
      SWIFTBOOT_API_TOKEN: "sbt_secret",
      SWIFTBOOT_CONFIG_FILE: "/nonexistent.yaml",
    };
    expect(() => parseConfig({ env })).not.toThrow();
    expect(problemsOf(() => parseConfig({ env: { ...env, SWIFTBOOT_API_TOKENS: "x" } }))).toEqual([
      "SWIFTBOOT_API_TOKENS: not a swiftboot option (see docs/configuration.md)",
    ]);
  });
});
