import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeMac } from "./identifiers.ts";

/** normalizeMac as it was before the single-regexp version: the reference it must agree with. */
function referenceNormalizeMac(input: string): string | undefined {
  const trimmed = input.trim().toLowerCase();
  let hex: string;
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/.test(trimmed)) {
    hex = trimmed.replace(/[:-]/g, "");
  } else if (/^[0-9a-f]{12}$/.test(trimmed)) {
    hex = trimmed;
  } else {
    return undefined;
  }
  return hex.match(/../g)?.join(":");
}

describe("normalizeMac", () => {
  it("accepts the three forms, in any case, and nothing mixed", () => {
    for (const mac of [
      "52:54:00:AB:cd:ef",
      "52-54-00-ab-cd-ef",
      "525400abcdef",
      " 525400ABCDEF\n",
    ]) {
      expect(normalizeMac(mac)).toBe("52:54:00:ab:cd:ef");
    }
    for (const bad of [
      "52:54-00:ab:cd:ef",
      "52:54:00:ab:cd",
      "52:54:00:ab:cd:eg",
      "",
      "5254:00ab:cdef",
    ]) {
      expect(normalizeMac(bad)).toBe(undefined);
    }
  });

  it("agrees with the reference on any input (property)", () => {
    const unit = fc.constantFrom(..."0123456789abcdefABCDEFg:- \t".split(""), "52", "-5", ":a");
    const macLike = fc
      .tuple(
        fc.array(fc.stringMatching(/^[0-9a-fA-F]{2}$/), { minLength: 5, maxLength: 7 }),
        fc.constantFrom(":", "-", "", ".", ":-"),
      )
      .map(([pairs, sep]) => pairs.join(sep));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit, maxLength: 20 }), macLike, fc.string()), (input) => {
        assert.equal(normalizeMac(input), referenceNormalizeMac(input), JSON.stringify(input));
      }),
      { numRuns: 5000 },
    );
  });
});
