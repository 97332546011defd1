import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, it } from "vitest";
import { timingSafeEqualStrings } from "../crypto/index.ts";
import { artifactPath, signArtifactUrl, verifyArtifactUrl } from "./signed-url.ts";

/**
 * swiftboot's artifact URL signatures under attack (unit level; the HTTP-level sample is in
 * test/integration/fuzz/artifact-route.test.ts): a URL verifies only as minted, for its own
 * artifact, method and lifetime, under its own key. Forged, replayed after expiry, moved to
 * another artifact or method, truncated, case-changed or re-timed URLs are all refused.
 * Plain asserts: vitest's expect is slow at this many calls.
 */
const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 10_000) };
const NOW = 1_700_000_000;

const imageId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/);
const contentId = fc.stringMatching(/^[0-9a-f]{32}$/);
const fileName = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}$/);
const key = fc.string({ minLength: 16, maxLength: 48 });
const lifetime = fc.integer({ min: 0, max: 86_400 });

const minted = fc
  .record({ imageId, contentId, fileName, key, lifetime })
  .map(({ lifetime, ...r }) => {
    const expires = NOW + lifetime;
    const url = new URL(signArtifactUrl({ baseUrl: "http://boot.example:8080", ...r, expires }));
    return { ...r, expires, url, sig: url.searchParams.get("sig") as string };
  });
type Minted = typeof minted extends fc.Arbitrary<infer T> ? T : never;

function verify(
  m: Minted,
  changes: { pathname?: string; query?: string; key?: string; now?: number; method?: string } = {},
) {
  const params =
    changes.query === undefined ? m.url.searchParams : new URLSearchParams(changes.query);
  return verifyArtifactUrl(
    changes.pathname ?? m.url.pathname,
    params,
    changes.key ?? m.key,
    changes.now ?? NOW,
    changes.method ?? "GET",
  );
}

const query = (expires: string | number, sig: string) => `expires=${expires}&sig=${sig}`;

/** Flips the case of one letter outside %XX escapes (those decode the same either way). */
function flipCase(s: string, at: number): string | undefined {
  const letters: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%") {
      i += 2;
      continue;
    }
    if (/[A-Za-z]/.test(s[i] as string)) letters.push(i);
  }
  if (letters.length === 0) return undefined;
  const i = letters[at % letters.length] as number;
  const c = s[i] as string;
  const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return s.slice(0, i) + flipped + s.slice(i + 1);
}

describe("artifact URL signatures (properties)", () => {
  it("a minted URL verifies, for GET and HEAD, until it expires, and names its artifact", () => {
    fc.assert(
      fc.property(minted, fc.constantFrom("GET", "HEAD"), (m, method) => {
        const check = verify(m, { method });
        assert.ok(check.ok, JSON.stringify(check));
        assert.equal(check.imageId, m.imageId);
        assert.equal(check.contentId, m.contentId);
        assert.equal(check.fileName, m.fileName);
        assert.equal(check.expires, m.expires);
        // Still valid at the last second of its life.
        assert.ok(verify(m, { now: m.expires }).ok);
      }),
      RUNS,
    );
  });

  it("refuses a forged signature (any other 64 hex digits)", () => {
    fc.assert(
      fc.property(minted, fc.stringMatching(/^[0-9a-f]{64}$/), (m, forged) => {
        fc.pre(forged !== m.sig);
        const check = verify(m, { query: query(m.expires, forged) });
        assert.deepEqual(check, { ok: false, status: 403, reason: "bad signature" });
      }),
      RUNS,
    );
  });

  it("refuses a signature with any one bit flipped", () => {
    fc.assert(
      fc.property(minted, fc.nat({ max: 63 }), fc.integer({ min: 1, max: 15 }), (m, at, bits) => {
        const digit = (Number.parseInt(m.sig[at] as string, 16) ^ bits).toString(16);
        const sig = m.sig.slice(0, at) + digit + m.sig.slice(at + 1);
        assert.equal(verify(m, { query: query(m.expires, sig) }).ok, false);
      }),
      RUNS,
    );
  });

  it("refuses a replay after expiry, whatever the signature", () => {
    fc.assert(
      fc.property(minted, fc.integer({ min: 1, max: 10 ** 9 }), (m, late) => {
        const check = verify(m, { now: m.expires + late });
        assert.deepEqual(check, { ok: false, status: 401, reason: "expired" });
      }),
      RUNS,
    );
  });

  it("refuses a URL whose expiry was moved (later or earlier)", () => {
    fc.assert(
      fc.property(minted, fc.integer({ min: -NOW + 1, max: 10 ** 9 }), (m, shift) => {
        fc.pre(shift !== 0);
        const check = verify(m, { query: query(m.expires + shift, m.sig), now: 1 });
        assert.equal(check.ok, false);
      }),
      RUNS,
    );
  });

  it("refuses another spelling of the same expiry (leading zeros, sign, spaces, exponent)", () => {
    fc.assert(
      fc.property(
        minted,
        fc.constantFrom(
          (e: number) => `0${e}`,
          (e: number) => `+${e}`,
          (e: number) => ` ${e}`,
          (e: number) => `${e}.0`,
          (e: number) => `${e / 1000}e3`,
          (e: number) => `${e} `,
        ),
        (m, spell) => {
          const check = verify(m, { query: query(spell(m.expires), m.sig) });
          assert.deepEqual(check, { ok: false, status: 401, reason: "malformed expiry" });
        },
      ),
      RUNS,
    );
  });

  it("refuses the signature on another artifact (image, content, file or all three)", () => {
    fc.assert(
      fc.property(minted, imageId, contentId, fileName, fc.nat({ max: 3 }), (m, i, c, f, which) => {
        const other = {
          imageId: which === 0 || which === 3 ? i : m.imageId,
          contentId: which === 1 || which === 3 ? c : m.contentId,
          fileName: which === 2 || which === 3 ? f : m.fileName,
        };
        fc.pre(
          other.imageId !== m.imageId ||
            other.contentId !== m.contentId ||
            other.fileName !== m.fileName,
        );
        const pathname = artifactPath(other.imageId, other.contentId, other.fileName);
        const check = verify(m, { pathname });
        assert.deepEqual(check, { ok: false, status: 403, reason: "bad signature" });
      }),
      RUNS,
    );
  });

  it("refuses every method but GET and HEAD", () => {
    fc.assert(
      fc.property(
        minted,
        fc.oneof(
          fc.constantFrom("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "head", "GET ", ""),
          fc.string({ maxLength: 8 }),
        ),
        (m, method) => {
          fc.pre(method !== "GET" && method !== "HEAD");
          const check = verify(m, { method });
          assert.deepEqual(check, { ok: false, status: 403, reason: "method not allowed" });
        },
      ),
      RUNS,
    );
  });

  it("refuses a truncated signature or path", () => {
    fc.assert(
      fc.property(minted, fc.nat({ max: 63 }), fc.integer({ min: 1, max: 200 }), (m, keep, cut) => {
        const short = verify(m, { query: query(m.expires, m.sig.slice(0, keep)) });
        assert.equal(short.ok, false);
        const pathname = m.url.pathname.slice(0, Math.max(0, m.url.pathname.length - cut));
        assert.equal(verify(m, { pathname }).ok, false);
      }),
      RUNS,
    );
  });

  it("refuses a case-changed signature or path", () => {
    fc.assert(
      fc.property(minted, fc.nat(), (m, at) => {
        if (/[a-f]/.test(m.sig)) {
          const upper = verify(m, { query: query(m.expires, m.sig.toUpperCase()) });
          assert.equal(upper.ok, false);
        }
        const pathname = flipCase(m.url.pathname, at);
        if (pathname !== undefined) assert.equal(verify(m, { pathname }).ok, false, pathname);
      }),
      RUNS,
    );
  });

  it("refuses it under any other key", () => {
    fc.assert(
      fc.property(minted, key, (m, other) => {
        fc.pre(other !== m.key);
        assert.equal(verify(m, { key: other }).ok, false);
      }),
      RUNS,
    );
  });

  it("refuses a duplicated sig or expires (no choosing which one counts)", () => {
    fc.assert(
      fc.property(minted, fc.boolean(), (m, dupSig) => {
        const q = dupSig
          ? `${query(m.expires, m.sig)}&sig=${m.sig}`
          : `${query(m.expires, m.sig)}&expires=${m.expires}`;
        assert.equal(verify(m, { query: q }).ok, false);
      }),
      RUNS,
    );
  });

  it("never throws, and accepts nothing it did not sign (arbitrary paths and queries)", () => {
    const k = "fixed-signing-key-0123456789";
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 120 }),
          fc.string().map((s) => `/v1/artifacts/${s}`),
          fc.tuple(imageId, contentId, fileName).map(([i, c, f]) => artifactPath(i, c, f)),
        ),
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 120 }),
          fc.stringMatching(/^[0-9a-f]{64}$/).map((s) => query(NOW + 10, s)),
        ),
        fc.string({ maxLength: 6 }),
        (pathname, q, method) => {
          const check = verifyArtifactUrl(pathname, new URLSearchParams(q), k, NOW, method);
          if (!check.ok) return;
          // Accepted: then the signature is exactly the HMAC of the canonical request.
          const params = new URLSearchParams(q);
          const canonical = artifactPath(check.imageId, check.contentId, check.fileName);
          const expected = createHmac("sha256", k)
            .update(`GET\n${params.get("expires")}\n${canonical}`)
            .digest("hex");
          assert.equal(params.get("sig"), expected);
        },
      ),
      RUNS,
    );
  });
});

describe("timingSafeEqualStrings (properties)", () => {
  it("is equality, for any strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        assert.equal(timingSafeEqualStrings(a, b), a === b);
        assert.equal(timingSafeEqualStrings(a, a), true);
      }),
      RUNS,
    );
  });
});
