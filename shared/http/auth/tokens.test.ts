import { createHash } from "node:crypto";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../types.ts";
import { bearerAuth } from "./bearer.ts";
import {
  allows,
  generateToken,
  parseTokenEntries,
  requiredScope,
  scopeOf,
  sha256Hex,
} from "./tokens.ts";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

describe("tokens", () => {
  it("hashes with SHA-256 (Web Crypto agrees with node:crypto)", async () => {
    expect(await sha256Hex("sbt_abc")).toBe(hash("sbt_abc"));
  });

  it("parses <scope>:<hash> entries, upper-case hex included", () => {
    expect(parseTokenEntries(undefined)).toEqual([]);
    expect(parseTokenEntries(` read:${"AB".repeat(32)} ,admin:${"c".repeat(64)}`)).toEqual([
      { scope: "read", hash: "ab".repeat(32) },
      { scope: "admin", hash: "c".repeat(64) },
    ]);
  });

  it("finds the scope of a matching token and nothing for others", async () => {
    const entries = parseTokenEntries(`read:${hash("r")},admin:${hash("a")}`);
    expect((await scopeOf("r", entries))?.scope).toBe("read");
    expect((await scopeOf("a", entries))?.scope).toBe("admin");
    expect(await scopeOf("x", entries)).toBeUndefined();
    expect(await scopeOf(hash("a"), entries)).toBeUndefined(); // the hash itself is no token
  });

  it("reads need read, writes need admin, admin does everything", () => {
    expect(requiredScope("GET")).toBe("read");
    expect(requiredScope("HEAD")).toBe("read");
    for (const m of ["PUT", "PATCH", "POST", "DELETE"]) expect(requiredScope(m)).toBe("admin");
    expect(allows("admin", "admin")).toBe(true);
    expect(allows("admin", "read")).toBe(true);
    expect(allows("read", "read")).toBe(true);
    expect(allows("read", "admin")).toBe(false);
  });

  it("generates distinct tokens of 32 random bytes", () => {
    const a = generateToken();
    expect(a).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
  });
});

describe("bearerAuth", () => {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("logFields", {});
    await next();
    c.header("x-actor", String(c.get("logFields").actor));
  });
  app.use(bearerAuth(parseTokenEntries(`read:${hash("r-token")},admin:${hash("a-token")}`)));
  app.all("/", (c) => c.text("ok"));
  const call = (method: string, authorization?: string) =>
    app.request("/", { method, headers: authorization ? { authorization } : {} });

  it("401 with WWW-Authenticate without a token, or with a wrong one", async () => {
    for (const auth of [undefined, "Basic abc", "Bearer", "Bearer wrong"]) {
      const res = await call("GET", auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="swiftboot"/);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("403 for a read token writing; 200 otherwise", async () => {
    expect((await call("GET", "Bearer r-token")).status).toBe(200);
    const denied = await call("DELETE", "Bearer r-token");
    expect(denied.status).toBe(403);
    expect(denied.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect((await call("DELETE", "bearer a-token")).status).toBe(200);
  });

  it("logs the scope and a hash prefix, never the token", async () => {
    const res = await call("GET", "Bearer a-token");
    expect(res.headers.get("x-actor")).toBe(`admin:${hash("a-token").slice(0, 8)}`);
  });
});
