import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/config/index.ts";
import { environmentApp } from "./app.ts";
import { SECRETS_MAX_AGE_ENV, secretsMaxAge } from "./config.ts";

/** An environmentApp over a scripted secret store and a hand-moved clock. */
function harness(maxAgeSeconds = 300) {
  let clock = 0;
  const secrets: (string | Error | undefined)[] = [];
  const reads: string[] = [];
  const purposes: string[] = [];
  const builds: (string | undefined)[] = [];
  const refreshErrors: unknown[] = [];
  let failBuildOf: string | undefined;
  const app = environmentApp({
    readSecret: async (purpose) => {
      purposes.push(purpose);
      const next = secrets.length > 1 ? secrets.shift() : secrets[0];
      reads.push(String(next));
      if (next instanceof Error) throw next;
      return next;
    },
    build: async (secret) => {
      if (secret !== undefined && secret === failBuildOf) throw new ConfigError(["bad secret"]);
      builds.push(secret);
      return `app(${secret})`;
    },
    maxAgeSeconds: () => maxAgeSeconds,
    onRefreshError: (error) => refreshErrors.push(error),
    now: () => clock,
  });
  return {
    app,
    secrets,
    reads,
    purposes,
    builds,
    refreshErrors,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
    failBuild: (secret: string) => {
      failBuildOf = secret;
    },
  };
}

describe("environmentApp", () => {
  it("builds once on the first request, shared by requests that arrive meanwhile", async () => {
    const h = harness();
    h.secrets.push("A");
    const [a, b] = await Promise.all([h.app.get(), h.app.get()]);
    expect([a, b]).toEqual(["app(A)", "app(A)"]);
    expect(h.reads).toHaveLength(1);
    expect(h.builds).toEqual(["A"]);
  });

  it("throws a failed start to the caller and starts again on the next request", async () => {
    const h = harness();
    h.secrets.push(new Error("unreachable"), "A");
    await expect(h.app.get()).rejects.toThrow("unreachable");
    expect(await h.app.get()).toBe("app(A)");
  });

  it("re-reads the secret once max age has passed, rebuilding only when it changed", async () => {
    const h = harness(300);
    h.secrets.push("A", "A", "B");
    expect(await h.app.get()).toBe("app(A)");
    h.advance(299);
    expect(await h.app.get()).toBe("app(A)");
    expect(h.reads).toHaveLength(1);
    h.advance(1);
    expect(await h.app.get()).toBe("app(A)"); // re-read: unchanged, no rebuild
    expect(h.reads).toHaveLength(2);
    expect(h.builds).toEqual(["A"]);
    h.advance(300);
    expect(await h.app.get()).toBe("app(B)");
    expect(h.builds).toEqual(["A", "B"]);
    expect(h.refreshErrors).toEqual([]);
    // Re-reads say so (deployed functions bound them tighter than the first read).
    expect(h.purposes).toEqual(["start", "refresh", "refresh"]);
  });

  it("keeps the current app when a re-read or a rebuild fails, and tries again a max age later", async () => {
    const h = harness(60);
    h.secrets.push("A", new Error("Secrets Manager down"), "C", "D");
    h.failBuild("C");
    await h.app.get();
    h.advance(60);
    expect(await h.app.get()).toBe("app(A)");
    expect(String(h.refreshErrors[0])).toContain("Secrets Manager down");
    h.advance(30);
    await h.app.get();
    expect(h.reads).toHaveLength(2); // not on every request while failing
    h.advance(30);
    expect(await h.app.get()).toBe("app(A)"); // C does not build
    expect(h.refreshErrors[1]).toBeInstanceOf(ConfigError);
    h.advance(60);
    expect(await h.app.get()).toBe("app(D)");
  });

  it("never re-reads with max age 0, or without a secret", async () => {
    for (const [maxAge, secret] of [
      [0, "A"],
      [300, undefined],
    ] as const) {
      const h = harness(maxAge);
      h.secrets.push(secret);
      await h.app.get();
      h.advance(86_400);
      await h.app.get();
      expect(h.reads).toHaveLength(1);
    }
  });
});

describe("environmentApp's max age", () => {
  it("is asked once at the first start, and a bad value fails that start before any read", async () => {
    let asked = 0;
    let reads = 0;
    const app = environmentApp({
      readSecret: async () => {
        reads++;
        return "A";
      },
      build: async (secret) => `app(${secret})`,
      maxAgeSeconds: () => {
        asked++;
        return secretsMaxAge({ [SECRETS_MAX_AGE_ENV]: asked === 1 ? "soon" : "300" });
      },
      onRefreshError: () => {},
    });
    await expect(app.get()).rejects.toThrow(ConfigError);
    expect(reads).toBe(0);
    expect(await app.get()).toBe("app(A)");
    await app.get();
    expect(asked).toBe(2);
  });
});

describe("secretsMaxAge", () => {
  it("is 300 s by default, takes whole seconds, and names the variable when refused", () => {
    expect(secretsMaxAge({})).toBe(300);
    expect(secretsMaxAge({ [SECRETS_MAX_AGE_ENV]: "" })).toBe(300);
    expect(secretsMaxAge({ [SECRETS_MAX_AGE_ENV]: " 60 " })).toBe(60);
    expect(secretsMaxAge({ [SECRETS_MAX_AGE_ENV]: "0" })).toBe(0);
    for (const bad of ["-1", "1.5", "5m", "86401"]) {
      expect(() => secretsMaxAge({ [SECRETS_MAX_AGE_ENV]: bad }), bad).toThrow(
        "SWIFTBOOT_SECRETS_MAX_AGE: expected a whole number of seconds from 0 to 86400",
      );
    }
  });
});
