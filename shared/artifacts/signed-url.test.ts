import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { image, NOW, SIGNING_KEY } from "../../test/support/boot/fixtures.ts";
import {
  type ArtifactKeys,
  artifactContentId,
  artifactFileName,
  artifactPath,
  signArtifactUrl,
  verifyArtifactUrl,
} from "./signed-url.ts";

const CONTENT = "0123456789abcdef0123456789abcdef";

function signed(imageId = "ipa-kernel", expires = NOW + 300) {
  return new URL(
    signArtifactUrl({
      baseUrl: "http://boot:8080",
      imageId,
      contentId: CONTENT,
      fileName: "deploy.kernel",
      expires,
      key: SIGNING_KEY,
    }),
  );
}

function check(
  url: URL,
  {
    key = SIGNING_KEY as ArtifactKeys,
    now = NOW,
    method = "GET",
  }: { key?: ArtifactKeys; now?: number; method?: string } = {},
) {
  return verifyArtifactUrl(url.pathname, url.searchParams, key, now, method);
}

describe("signArtifactUrl", () => {
  it("signs GET\\n<expires>\\n<path> with HMAC-SHA256, hex", () => {
    const url = signed();
    const path = `/v1/artifacts/ipa-kernel/${CONTENT}/deploy.kernel`;
    const sig = createHmac("sha256", SIGNING_KEY)
      .update(`GET\n${NOW + 300}\n${path}`)
      .digest("hex");
    expect(url.href).toBe(`http://boot:8080${path}?expires=${NOW + 300}&sig=${sig}`);
  });

  it("answers repeated inputs from its memo with the same signature, per key", () => {
    const hmac = (key: string, expires: number) =>
      createHmac("sha256", key)
        .update(`GET\n${expires}\n/v1/artifacts/ipa-kernel/${CONTENT}/deploy.kernel`)
        .digest("hex");
    const sign = (key: string, expires: number) =>
      new URL(
        signArtifactUrl({
          baseUrl: "http://boot:8080",
          imageId: "ipa-kernel",
          contentId: CONTENT,
          fileName: "deploy.kernel",
          expires,
          key,
        }),
      ).searchParams.get("sig");
    // Twice each, interleaved with another key and more inputs than the memo holds.
    for (let round = 0; round < 2; round++) {
      for (let e = 0; e < 5000; e += 7) {
        expect(sign(SIGNING_KEY, NOW + e)).toBe(hmac(SIGNING_KEY, NOW + e));
        expect(sign("another-signing-key-0123456789abc", NOW + e)).toBe(
          hmac("another-signing-key-0123456789abc", NOW + e),
        );
      }
    }
  });

  it("writes a : in an image id as %3A", () => {
    expect(artifactPath("os:deb12", CONTENT, "x")).toBe(`/v1/artifacts/os%3Adeb12/${CONTENT}/x`);
  });
});

describe("verifyArtifactUrl", () => {
  it("accepts a fresh URL for GET and HEAD, up to and including its expiry second", () => {
    for (const method of ["GET", "HEAD"]) {
      expect(check(signed(), { method })).toEqual({
        ok: true,
        imageId: "ipa-kernel",
        contentId: CONTENT,
        fileName: "deploy.kernel",
        expires: NOW + 300,
        signedWith: "current",
      });
    }
    expect(check(signed(), { now: NOW + 300 }).ok).toBe(true);
  });

  it("during a rotation, accepts URLs signed with the previous key, and says so", () => {
    const rotated = { current: "the-new-signing-key-0123", previous: SIGNING_KEY };
    expect(check(signed(), { key: rotated })).toMatchObject({ ok: true, signedWith: "previous" });
    // Without the previous key, the same URL is refused; a third key is refused either way.
    expect(check(signed(), { key: { current: rotated.current } })).toEqual({
      ok: false,
      status: 403,
      reason: "bad signature",
    });
    expect(
      check(signed(), { key: { current: "a-third-key-0123456789", previous: rotated.current } }),
    ).toMatchObject({ ok: false, reason: "bad signature" });
    // Expiry still applies to URLs of the previous key.
    expect(check(signed(), { key: rotated, now: NOW + 301 })).toMatchObject({
      ok: false,
      reason: "expired",
    });
    // A URL of the current key is reported as such while a previous key is configured.
    expect(
      check(signed(), { key: { current: SIGNING_KEY, previous: "old-key-0123456789ab" } }),
    ).toMatchObject({ ok: true, signedWith: "current" });
  });

  it("accepts an image id with : whether or not it arrives encoded", () => {
    const url = signed("os:deb12");
    expect(check(url).ok).toBe(true);
    url.pathname = url.pathname.replace("%3A", ":");
    expect(check(url).ok).toBe(true);
  });

  const refusals: [string, (u: URL) => void, object, number, string][] = [
    ["expired", () => {}, { now: NOW + 301 }, 401, "expired"],
    [
      "tampered path",
      (u) => (u.pathname = u.pathname.replace("ipa-kernel", "ipa-kernel2")),
      {},
      403,
      "bad signature",
    ],
    [
      "tampered content id",
      (u) => (u.pathname = u.pathname.replace(CONTENT, CONTENT.replace("0", "1"))),
      {},
      403,
      "bad signature",
    ],
    [
      "tampered file name",
      (u) => (u.pathname = u.pathname.replace("deploy.kernel", "deploy.kernel2")),
      {},
      403,
      "bad signature",
    ],
    [
      "tampered expiry",
      (u) => u.searchParams.set("expires", String(NOW + 3000)),
      {},
      403,
      "bad signature",
    ],
    [
      "expiry with a leading zero",
      (u) => u.searchParams.set("expires", `0${NOW + 300}`),
      {},
      401,
      "malformed expiry",
    ],
    ["missing expiry", (u) => u.searchParams.delete("expires"), {}, 401, "malformed expiry"],
    [
      "two expiries",
      (u) => u.searchParams.append("expires", String(NOW + 300)),
      {},
      401,
      "malformed expiry",
    ],
    ["wrong method", () => {}, { method: "PUT" }, 403, "method not allowed"],
    ["lower-case method", () => {}, { method: "get" }, 403, "method not allowed"],
    ["missing signature", (u) => u.searchParams.delete("sig"), {}, 401, "missing signature"],
    [
      "truncated signature",
      (u) => u.searchParams.set("sig", (u.searchParams.get("sig") ?? "").slice(0, 63)),
      {},
      401,
      "malformed signature",
    ],
    [
      "case-changed signature",
      (u) => u.searchParams.set("sig", (u.searchParams.get("sig") ?? "").toUpperCase()),
      {},
      401,
      "malformed signature",
    ],
    [
      "two signatures",
      (u) => u.searchParams.append("sig", u.searchParams.get("sig") ?? ""),
      {},
      401,
      "malformed signature",
    ],
    [
      "flipped signature bit",
      (u) => u.searchParams.set("sig", flipLast(u.searchParams.get("sig") ?? "")),
      {},
      403,
      "bad signature",
    ],
    ["wrong key", () => {}, { key: `${SIGNING_KEY}x` }, 403, "bad signature"],
    ["extra path segment", (u) => (u.pathname += "/x"), {}, 403, "malformed path"],
    [
      "other route",
      (u) => (u.pathname = u.pathname.replace("/v1/artifacts/", "/v1/other/")),
      {},
      403,
      "malformed path",
    ],
    [
      "bad escape",
      (u) => (u.pathname = u.pathname.replace("ipa-kernel", "ipa%zz")),
      {},
      403,
      "malformed path",
    ],
    [
      "dot-dot file name",
      (u) => (u.pathname = u.pathname.replace("deploy.kernel", "%2E%2E")),
      {},
      403,
      "malformed path",
    ],
  ];
  it.each(refusals)("refuses: %s", (_name, tamper, opts, status, reason) => {
    const url = signed();
    tamper(url);
    expect(check(url, opts)).toEqual({ ok: false, status, reason });
  });
});

function flipLast(hex: string): string {
  const last = hex.at(-1) === "0" ? "1" : "0";
  return hex.slice(0, -1) + last;
}

describe("artifactContentId", () => {
  it("is the sha256's first 128 bits when known", () => {
    expect(artifactContentId(image({ id: "a", sha256: "AB".repeat(32) }), "images")).toBe(
      "ab".repeat(16),
    );
  });

  it("otherwise hashes the location and size, stably", () => {
    const a = image({ id: "a", swift: { object: "ipa/k" }, size: 10 });
    const id = artifactContentId(a, "images");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(
      artifactContentId(image({ id: "other", swift: { object: "ipa/k" }, size: 10 }), "images"),
    ).toBe(id);
    expect(
      artifactContentId(image({ id: "a", swift: { object: "ipa/k" }, size: 11 }), "images"),
    ).not.toBe(id);
    expect(
      artifactContentId(image({ id: "a", swift: { object: "ipa/k2" }, size: 10 }), "images"),
    ).not.toBe(id);
    expect(artifactContentId(a, "other")).not.toBe(id);
    expect(
      artifactContentId(
        image({ id: "a", swift: { object: "ipa/k" }, size: 10, origin: "http://o/k" }),
        "images",
      ),
    ).not.toBe(id);
  });
});

describe("artifactFileName", () => {
  it.each([
    ["ipa/deploy.kernel", "deploy.kernel"],
    ["vmlinuz", "vmlinuz"],
    ["a/b c (1)+ü.img", "b_c_1_.img"],
    ["a/..hidden", "hidden"],
    ["a/...", "image"],
    ["a/", "image"],
    ["a/...", "image"],
    [`a/${"x".repeat(100)}`, "x".repeat(64)],
  ])("%s -> %s", (object, name) => {
    expect(artifactFileName(image({ id: "a", swift: { object } }))).toBe(name);
  });
});
