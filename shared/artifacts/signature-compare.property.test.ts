import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { scopeOf, sha256Hex } from "../http/auth/tokens.ts";
import { signArtifactUrl, verifyArtifactUrl } from "./signed-url.ts";

/**
 * Secret comparisons are constant-time: a code-level check, not a timing test. Every comparison
 * of a presented artifact signature or admin token hash with the expected one goes through
 * `timingSafeEqualStrings` (shared/crypto), with the whole values, and the sources compare
 * signatures, tokens and hashes with nothing else.
 */
const compared = vi.hoisted(() => ({ calls: [] as [string, string][] }));

vi.mock("../crypto/index.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../crypto/index.ts")>();
  return {
    ...real,
    timingSafeEqualStrings: (a: string, b: string) => {
      compared.calls.push([a, b]);
      return real.timingSafeEqualStrings(a, b);
    },
  };
});

const KEY = "compare-signing-key-0123456789";
const NOW = 1_700_000_000;

beforeEach(() => {
  compared.calls.length = 0;
});

describe("constant-time comparisons", () => {
  it("verifyArtifactUrl compares the presented signature with the expected one, whole", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), fc.boolean(), (forged, genuine) => {
        compared.calls.length = 0;
        const url = new URL(
          signArtifactUrl({
            baseUrl: "http://b",
            imageId: "ipa-kernel",
            contentId: "0123456789abcdef0123456789abcdef",
            fileName: "deploy.kernel",
            expires: NOW + 60,
            key: KEY,
          }),
        );
        const real = url.searchParams.get("sig") as string;
        if (!genuine) url.searchParams.set("sig", forged);
        const check = verifyArtifactUrl(url.pathname, url.searchParams, KEY, NOW, "GET");
        assert.equal(check.ok, genuine || forged === real);
        // Exactly one comparison, of the full presented value against the full expected one.
        assert.deepEqual(compared.calls, [[genuine ? real : forged, real]]);
      }),
      { numRuns: 1_000 },
    );
  });

  it("with a previous key, compares with both keys' signatures, whichever matches", () => {
    const previous = "compare-previous-key-0123456789";
    for (const [signer, ok] of [
      [KEY, true],
      [previous, true],
      ["compare-other-key-0123456789", false],
    ] as const) {
      compared.calls.length = 0;
      const url = new URL(
        signArtifactUrl({
          baseUrl: "http://b",
          imageId: "ipa-kernel",
          contentId: "0123456789abcdef0123456789abcdef",
          fileName: "deploy.kernel",
          expires: NOW + 60,
          key: signer,
        }),
      );
      const sig = url.searchParams.get("sig") as string;
      const check = verifyArtifactUrl(
        url.pathname,
        url.searchParams,
        { current: KEY, previous },
        NOW,
        "GET",
      );
      expect(check.ok).toBe(ok);
      // No early exit: the time taken does not tell which key signed the URL.
      expect(compared.calls).toHaveLength(2);
      expect(compared.calls.map(([presented]) => presented)).toEqual([sig, sig]);
      expect(compared.calls[0]?.[1]).not.toBe(compared.calls[1]?.[1]);
    }
  });

  it("the admin API compares a token's hash with every configured hash, in constant time", async () => {
    const tokens = ["sbt_read-token-0123456789", "sbt_admin-token-0123456789"];
    const entries = [
      { scope: "read" as const, hash: await sha256Hex(tokens[0] as string) },
      { scope: "admin" as const, hash: await sha256Hex(tokens[1] as string) },
    ];
    for (const presented of [...tokens, "sbt_wrong-token"]) {
      compared.calls.length = 0;
      await scopeOf(presented, entries);
      const hash = await sha256Hex(presented);
      // No early exit: every entry is compared, whichever matches.
      expect(compared.calls).toEqual(entries.map((e) => [hash, e.hash]));
    }
  });

  it("the sources compare signatures and tokens only through timingSafeEqualStrings", () => {
    const sources = {
      "shared/artifacts/signed-url.ts":
        /\b(sig|sigs\[0\]|expected|signature)\s*[!=]==?|[!=]==?\s*(sig|expected|signature)\b/,
      "shared/http/auth/tokens.ts":
        /\b(hash|token|entry\.hash)\s*[!=]==?\s*(hash|token|entry\.hash)\b/,
      "shared/http/auth/bearer.ts": /\b(token|hash)\s*[!=]==?|[!=]==?\s*(token|hash)\b/,
      "shared/http/routes/artifacts.ts": /\bsig\b\s*[!=]==?|[!=]==?\s*\bsig\b/,
      "shared/http/routes/artifact-request.ts": /\bsig\b\s*[!=]==?|[!=]==?\s*\bsig\b/,
      "functions/aws/front/signed-artifacts.ts": /\bsig\b\s*[!=]==?|[!=]==?\s*\bsig\b/,
    };
    for (const [file, direct] of Object.entries(sources)) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
      expect(text, file).not.toMatch(direct);
      expect(text, file).not.toMatch(/\.localeCompare\(|Buffer\.compare\(/);
    }
    const artifactUrl = readFileSync(new URL("./signed-url.ts", import.meta.url), "utf8");
    expect(artifactUrl).toMatch(/timingSafeEqualStrings\(sig, artifactSignature\(current,/);
    expect(artifactUrl).toMatch(/timingSafeEqualStrings\(sig, artifactSignature\(previous,/);
    // No route checks signatures itself: both call verifyArtifactRequest, which calls
    // verifyArtifactUrl.
    const front = readFileSync(
      new URL("../http/routes/artifact-request.ts", import.meta.url),
      "utf8",
    );
    expect(front).toMatch(/verifyArtifactUrl\(/);
    expect(front).not.toMatch(/hmacSync|createHmac|artifactSignature/);
    for (const file of [
      "shared/http/routes/artifacts.ts",
      "functions/aws/front/signed-artifacts.ts",
    ]) {
      const route = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
      expect(route, file).toMatch(/verifyArtifactRequest\(/);
      expect(route, file).not.toMatch(/hmacSync|createHmac|artifactSignature|verifyArtifactUrl/);
    }
  });
});
