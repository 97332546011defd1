import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  artifactContentId,
  artifactFileName,
  signArtifactUrl,
  verifyArtifactUrl,
} from "../artifacts/signed-url.ts";
import { ScriptToken, UnsafeScriptValueError } from "../ipxe/index.ts";
import { type Image, imageSchema } from "../model/index.ts";
import { artifactUrlFor, imageUrlToken, sharedSwiftUrl } from "./image-parts.ts";
import type { SwiftUrlSettings } from "./settings.ts";

const KEY = "image-parts-test-key-0123456789abcdef";
const image = (id: string, object: string, extra: Partial<Image> = {}): Image =>
  imageSchema.parse({ id, name: id, swift: { container: "images", object }, ...extra });

/** What signArtifactUrl makes from scratch for the same inputs: the reference. */
const reference = (
  img: Image,
  container: string | undefined,
  base: string,
  expires: number,
  key: string,
) =>
  signArtifactUrl({
    baseUrl: base,
    imageId: img.id,
    contentId: artifactContentId(img, container),
    fileName: artifactFileName(img),
    expires,
    key,
  });

describe("artifactUrlFor", () => {
  it("equals signArtifactUrl for any sequence of images, bases, expiries, keys and containers (property)", () => {
    const images = [
      image("k1", "ipa/k1.kernel"),
      image("r:1", "dir/ramdisk image.img", { size: 5 }),
      image("k2", "x", { sha256: "a".repeat(64) }),
    ];
    const call = fc.record({
      img: fc.integer({ min: 0, max: images.length - 1 }),
      container: fc.constantFrom(undefined, "images", "other"),
      base: fc.constantFrom("http://a:8080", "https://b.example"),
      expires: fc.integer({ min: 1_700_000_000, max: 1_700_000_003 }),
      key: fc.constantFrom(KEY, `${KEY}-rotated`),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 30 }), (calls) => {
        for (const c of calls) {
          const img = images[c.img] as Image;
          assert.equal(
            artifactUrlFor(img, c.container, c.base, c.expires, c.key),
            reference(img, c.container, c.base, c.expires, c.key),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it("mints a URL the artifact route accepts", () => {
    const img = image("k:9", "ipa/vmlinuz");
    const url = new URL(artifactUrlFor(img, undefined, "http://h:1", 2_000_000_000, KEY));
    const check = verifyArtifactUrl(url.pathname, url.searchParams, KEY, 1_999_999_999, "GET");
    expect(check).toMatchObject({ ok: true, imageId: "k:9" });
  });

  it("hands out the same string within a second, a new one the next second", () => {
    const img = image("k", "ipa/k");
    const a = artifactUrlFor(img, undefined, "http://h", 100, KEY);
    expect(artifactUrlFor(img, undefined, "http://h", 100, KEY)).toBe(a);
    expect(artifactUrlFor(img, undefined, "http://h", 101, KEY)).not.toBe(a);
    // A re-read image (a new object, as the image cache makes after an edit) starts afresh.
    const edited = image("k", "ipa/k-v2");
    expect(artifactUrlFor(edited, undefined, "http://h", 101, KEY)).toContain("/k-v2?");
  });
});

describe("imageUrlToken", () => {
  it("is ScriptToken.url, remembered per image while the URL stays the same", () => {
    const img = image("k", "ipa/k");
    const first = imageUrlToken(img, "http://h/a?sig=1", "kernel URL");
    expect(first.text).toBe(ScriptToken.url("http://h/a?sig=1", "x").text);
    expect(imageUrlToken(img, "http://h/a?sig=1", "kernel URL")).toBe(first);
    expect(imageUrlToken(img, "http://h/a?sig=2", "kernel URL").text).toBe("http://h/a?sig=2");
  });

  it("checks, and refuses, an unsafe URL every time", () => {
    const img = image("k", "ipa/k");
    imageUrlToken(img, "http://h/ok", "kernel URL");
    for (let i = 0; i < 2; i++) {
      expect(() => imageUrlToken(img, "http://h/${x}", "kernel URL")).toThrow(
        UnsafeScriptValueError,
      );
    }
    expect(() => imageUrlToken(img, "http://h/a b", "kernel URL")).toThrow(/kernel URL/);
  });
});

describe("sharedSwiftUrl", () => {
  const settings = (key: string): SwiftUrlSettings => ({
    mode: "swift",
    endpoint: "http://swift:8080",
    accountPrefix: "/v1/AUTH_t/",
    defaultContainer: "images",
    key,
    digest: "sha256",
    lifetime: 300,
    bindIp: false,
  });

  it("mints once per image, settings object and second; a failure is not kept", () => {
    const img = image("k", "ipa/k");
    const a = settings("one");
    let minted = 0;
    const mint = (url: string) => () => {
      minted++;
      return url;
    };
    expect(sharedSwiftUrl(img, a, 100, mint("u1"))).toBe("u1");
    expect(sharedSwiftUrl(img, a, 100, mint("other"))).toBe("u1");
    expect(minted).toBe(1);
    expect(sharedSwiftUrl(img, a, 101, mint("u2"))).toBe("u2"); // the next second
    expect(sharedSwiftUrl(img, settings("one"), 101, mint("u3"))).toBe("u3"); // a reloaded config
    expect(sharedSwiftUrl(image("k", "ipa/k"), a, 101, mint("u4"))).toBe("u4"); // a re-read image
    const failure = { ok: false as const, reason: "no container" };
    const other = image("r", "ipa/r");
    expect(sharedSwiftUrl(other, a, 100, () => failure)).toBe(failure);
    expect(sharedSwiftUrl(other, a, 100, mint("u5"))).toBe("u5");
  });
});
