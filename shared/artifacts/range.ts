import type { ByteRange } from "../cache/types.ts";

/**
 * `Range` as RFC 9110 §14 has it, reduced to what swiftboot serves: one byte range. Anything
 * else (other units, several ranges, syntax errors) is ignored and the whole object is sent,
 * which the RFC allows. The spec is parsed before the size is known (a miss has no size yet)
 * and resolved against it later.
 */
export type RangeSpec =
  | { kind: "none" }
  | { kind: "from"; first: number; last: number | undefined }
  | { kind: "suffix"; length: number };

const SINGLE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

export function parseRangeSpec(header: string | null | undefined): RangeSpec {
  if (header === null || header === undefined) return { kind: "none" };
  const m = SINGLE.exec(header);
  if (m === null) return { kind: "none" };
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return { kind: "none" };
  if (a === "") return { kind: "suffix", length: toNumber(b) };
  const first = toNumber(a);
  const last = b === "" ? undefined : toNumber(b);
  if (last !== undefined && last < first) return { kind: "none" };
  return { kind: "from", first, last };
}

/** Digits beyond 2^53 only ever mean "past the end". */
function toNumber(digits: string): number {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

export type ResolvedRange =
  | { kind: "whole" }
  | { kind: "partial"; range: ByteRange }
  | { kind: "unsatisfiable" };

export function resolveRange(spec: RangeSpec, size: number): ResolvedRange {
  switch (spec.kind) {
    case "none":
      return { kind: "whole" };
    case "suffix":
      if (spec.length === 0 || size === 0) return { kind: "unsatisfiable" };
      return { kind: "partial", range: { start: Math.max(0, size - spec.length), end: size - 1 } };
    case "from":
      if (spec.first >= size) return { kind: "unsatisfiable" };
      return {
        kind: "partial",
        range: { start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) },
      };
  }
}
