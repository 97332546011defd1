import { describe, expect, it } from "vitest";
import { notModified, rangeApplies } from "./conditional.ts";
import { parseRangeSpec, resolveRange } from "./range.ts";

const resolve = (header: string | undefined, size: number) =>
  resolveRange(parseRangeSpec(header), size);

describe("Range", () => {
  it("resolves single ranges against the size", () => {
    expect(resolve("bytes=0-0", 10)).toEqual({ kind: "partial", range: { start: 0, end: 0 } });
    expect(resolve("bytes=9-", 10)).toEqual({ kind: "partial", range: { start: 9, end: 9 } });
    expect(resolve("bytes=2-100", 10)).toEqual({ kind: "partial", range: { start: 2, end: 9 } });
    expect(resolve("bytes=-3", 10)).toEqual({ kind: "partial", range: { start: 7, end: 9 } });
    expect(resolve("bytes=-30", 10)).toEqual({ kind: "partial", range: { start: 0, end: 9 } });
    expect(resolve("BYTES = 1 - 2", 10)).toEqual({ kind: "partial", range: { start: 1, end: 2 } });
    expect(resolve("bytes=0-99999999999999999999", 10)).toEqual({
      kind: "partial",
      range: { start: 0, end: 9 },
    });
  });

  it("says unsatisfiable past the end, for an empty suffix and for an empty object", () => {
    expect(resolve("bytes=10-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(resolve("bytes=99999999999999999999-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(resolve("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
    expect(resolve("bytes=-5", 0)).toEqual({ kind: "unsatisfiable" });
  });

  it("ignores what it does not serve: several ranges, other units, nonsense", () => {
    for (const h of [
      undefined,
      "bytes=0-1,4-5",
      "items=0-1",
      "bytes=5-2",
      "bytes=-",
      "bytes=a-b",
    ]) {
      expect(resolve(h, 10), String(h)).toEqual({ kind: "whole" });
    }
  });
});

describe("conditional requests", () => {
  const v = { etag: '"abc"', lastModified: new Date("2026-01-02T03:04:05.678Z") };

  it("If-None-Match matches weakly, lists and *, and wins over If-Modified-Since", () => {
    expect(notModified('"abc"', undefined, v)).toBe(true);
    expect(notModified('W/"abc"', undefined, v)).toBe(true);
    expect(notModified('"x", "abc"', undefined, v)).toBe(true);
    expect(notModified("*", undefined, v)).toBe(true);
    expect(notModified('"x"', "Fri, 02 Jan 2099 00:00:00 GMT", v)).toBe(false);
  });

  it("If-Modified-Since compares whole seconds, and never matches without a date", () => {
    expect(notModified(undefined, "Fri, 02 Jan 2026 03:04:05 GMT", v)).toBe(true);
    expect(notModified(undefined, "Fri, 02 Jan 2026 03:04:04 GMT", v)).toBe(false);
    expect(notModified(undefined, "garbage", v)).toBe(false);
    expect(notModified(undefined, "Fri, 02 Jan 2026 03:04:05 GMT", { etag: '"abc"' })).toBe(false);
  });

  it("If-Range needs a strong ETag match or the exact date", () => {
    expect(rangeApplies(undefined, v)).toBe(true);
    expect(rangeApplies('"abc"', v)).toBe(true);
    expect(rangeApplies('W/"abc"', v)).toBe(false);
    expect(rangeApplies('"x"', v)).toBe(false);
    expect(rangeApplies("Fri, 02 Jan 2026 03:04:05 GMT", v)).toBe(true);
    expect(rangeApplies("Fri, 02 Jan 2026 03:04:06 GMT", v)).toBe(false);
  });
});
