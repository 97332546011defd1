import { describe, expect, it } from "vitest";
import { callbackKeys, callbackSignedPath, signCallbackUrl, verifyCallbackPath } from "./url.ts";

const KEYS = callbackKeys("artifact-signing-key-0123456789", undefined);
if (KEYS === undefined) throw new Error("keys");
const NOW = 1_700_000_000;
const BASE = "http://boot.example:8080";
const SUBJECT = {
  kind: "node",
  nodeId: "rack1:node7",
  state: "deploying",
  stateId: "0123456789abcdef",
} as const;

const pathOf = (url: string) => new URL(url).pathname;

describe("callback URLs", () => {
  it("carry the node, state and stay in a path safe for kernel command lines and iPXE", () => {
    const url = signCallbackUrl(BASE, SUBJECT, NOW + 60, KEYS.current);
    expect(url).toMatch(
      /^http:\/\/boot\.example:8080\/v1\/callbacks\/node\/rack1%3Anode7\/deploying\/0123456789abcdef\/1700000060\/[0-9a-f]{64}$/,
    );
    expect(url).not.toMatch(/[\s?&=#$;'"\\]/);
    const check = verifyCallbackPath(pathOf(url), KEYS, NOW);
    expect(check).toEqual({ ok: true, subject: SUBJECT, expires: NOW + 60, signedWith: "current" });
  });

  it("verify until they expire, then answer 401", () => {
    const url = signCallbackUrl(BASE, SUBJECT, NOW + 60, KEYS.current);
    expect(verifyCallbackPath(pathOf(url), KEYS, NOW + 60).ok).toBe(true);
    expect(verifyCallbackPath(pathOf(url), KEYS, NOW + 61)).toEqual({
      ok: false,
      status: 401,
      reason: "expired",
    });
  });

  it("refuse any altered part with 403, the expiry included", () => {
    const path = pathOf(signCallbackUrl(BASE, SUBJECT, NOW + 60, KEYS.current));
    const sig = path.split("/").at(-1) as string;
    const altered = [
      path.replace("rack1%3Anode7", "rack1%3Anode8"), // another node
      path.replace("/deploying/", "/inspecting/"), // another state
      path.replace("0123456789abcdef", "0123456789abcdee"), // another stay
      path.replace("1700000060", "1800000060"), // a later expiry
      path.replace(sig, `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`),
    ];
    for (const p of altered) {
      expect(verifyCallbackPath(p, KEYS, NOW), p).toMatchObject({ ok: false, status: 403 });
    }
  });

  it("refuse malformed paths and other spellings of a signed one", () => {
    const path = pathOf(signCallbackUrl(BASE, SUBJECT, NOW + 60, KEYS.current));
    for (const p of [
      path.replace("%3A", ":"),
      path.replace("%3A", "%3a"),
      `${path}/`,
      path.replace("/deploying/", "/flying/"),
      path.replace("/v1/callbacks/node/", "/v1/callbacks/nodes/"),
      path.replace("1700000060", "01700000060"),
      path.slice(0, -1),
      "/v1/callbacks/",
      "/v1/artifacts/x/y/z",
    ]) {
      expect(verifyCallbackPath(p, KEYS, NOW), p).toMatchObject({ ok: false, status: 403 });
    }
  });

  it("are signed with a key derived from the artifact key, not the artifact key itself", () => {
    const raw = { current: "artifact-signing-key-0123456789" };
    const url = signCallbackUrl(BASE, SUBJECT, NOW + 60, raw.current);
    expect(verifyCallbackPath(pathOf(url), KEYS, NOW)).toMatchObject({ reason: "bad signature" });
    expect(callbackKeys(undefined, undefined)).toBeUndefined();
  });

  it("keep working across a key rotation until they expire", () => {
    const before = callbackKeys("old-key-0123456789", undefined);
    const during = callbackKeys("new-key-0123456789", "old-key-0123456789");
    const after = callbackKeys("new-key-0123456789", undefined);
    if (!before || !during || !after) throw new Error("keys");
    const old = pathOf(signCallbackUrl(BASE, SUBJECT, NOW + 60, before.current));
    const fresh = pathOf(signCallbackUrl(BASE, SUBJECT, NOW + 60, during.current));
    expect(verifyCallbackPath(old, during, NOW)).toMatchObject({
      ok: true,
      signedWith: "previous",
    });
    expect(verifyCallbackPath(fresh, during, NOW)).toMatchObject({
      ok: true,
      signedWith: "current",
    });
    expect(verifyCallbackPath(old, after, NOW)).toMatchObject({ ok: false, status: 403 });
  });

  it("bind discovery boots to the machine's MAC and UUID", () => {
    const subject = {
      kind: "discovery",
      mac: "52:54:00:12:34:56",
      uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
    } as const;
    const url = signCallbackUrl(BASE, subject, NOW + 60, KEYS.current);
    expect(callbackSignedPath(subject, NOW + 60)).toBe(
      "/v1/callbacks/discovery/525400123456/4c4c4544-0042-3510-8052-b4c04f384d32/1700000060",
    );
    expect(verifyCallbackPath(pathOf(url), KEYS, NOW)).toMatchObject({ ok: true, subject });
    const noUuid = { kind: "discovery", mac: "52:54:00:12:34:56", uuid: undefined } as const;
    const bare = signCallbackUrl(BASE, noUuid, NOW + 60, KEYS.current);
    expect(bare).toContain("/525400123456/-/");
    expect(verifyCallbackPath(pathOf(bare), KEYS, NOW)).toMatchObject({
      ok: true,
      subject: noUuid,
    });
    expect(
      verifyCallbackPath(pathOf(url).replace("525400123456", "525400123457"), KEYS, NOW),
    ).toMatchObject({ ok: false, status: 403 });
  });
});
