import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyCloudFrontSignedUrl } from "../../../test/support/cloudfront-verify.ts";
import { signCloudFrontUrl } from "./cloudfront-url.ts";

/** CloudFront signed URLs as the artifacts function makes them, checked as CloudFront would. */
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const key = {
  keyPairId: "K2JCJMDEHXQW5F",
  privateKey: pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
};
const trusted = new Map([[key.keyPairId, pair.publicKey]]);
const OBJECT = "http://d111111abcdef8.cloudfront.net/artifacts/sample-ramdisk/0123456789abcdef";
const NOW = 1_790_000_000;

describe("CloudFront signed URLs", () => {
  it("carry Expires, Signature and Key-Pair-Id that verify with the public key", () => {
    const signed = signCloudFrontUrl(OBJECT, key, NOW + 120);
    const url = new URL(signed);
    expect(`${url.origin}${url.pathname}`).toBe(OBJECT);
    expect([...url.searchParams.keys()]).toEqual(["Expires", "Key-Pair-Id", "Signature"]);
    expect(url.searchParams.get("Expires")).toBe(String(NOW + 120));
    // iPXE re-encodes queries: only URL-safe characters in CloudFront's alphabet.
    expect(url.search).toMatch(/^\?[A-Za-z0-9=&~_.-]+$/);
    expect(verifyCloudFrontSignedUrl(signed, trusted, NOW)).toEqual({
      ok: true,
      resource: OBJECT,
      expires: NOW + 120,
    });
  });

  it("stop working at Expires", () => {
    const signed = signCloudFrontUrl(OBJECT, key, NOW + 120);
    expect(verifyCloudFrontSignedUrl(signed, trusted, NOW + 119).ok).toBe(true);
    expect(verifyCloudFrontSignedUrl(signed, trusted, NOW + 120)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("are refused when tampered with: path, host, scheme, expiry, signature or key", () => {
    const signed = signCloudFrontUrl(OBJECT, key, NOW + 120);
    const tamper = (edit: (u: URL) => void) => {
      const u = new URL(signed);
      edit(u);
      return verifyCloudFrontSignedUrl(u.toString(), trusted, NOW);
    };
    const mismatch = { ok: false, reason: "signature does not match" };
    expect(tamper((u) => (u.pathname = "/artifacts/other-image/0123456789abcdef"))).toEqual(
      mismatch,
    );
    expect(tamper((u) => (u.host = "evil.example.net"))).toEqual(mismatch);
    expect(tamper((u) => (u.protocol = "https:"))).toEqual(mismatch);
    expect(tamper((u) => u.searchParams.set("Expires", String(NOW + 86_400)))).toEqual(mismatch);
    expect(
      tamper((u) => {
        const s = u.searchParams.get("Signature") ?? "";
        u.searchParams.set("Signature", `${s[0] === "A" ? "B" : "A"}${s.slice(1)}`);
      }),
    ).toEqual(mismatch);
    expect(tamper((u) => u.searchParams.set("Key-Pair-Id", "KOTHERKEY"))).toEqual({
      ok: false,
      reason: "key KOTHERKEY is not trusted",
    });
    expect(tamper((u) => u.searchParams.delete("Signature")).ok).toBe(false);
  });

  it("do not verify with another key", () => {
    const signed = signCloudFrontUrl(OBJECT, key, NOW + 120);
    expect(
      verifyCloudFrontSignedUrl(signed, new Map([[key.keyPairId, other.publicKey]]), NOW),
    ).toEqual({ ok: false, reason: "signature does not match" });
  });
});
