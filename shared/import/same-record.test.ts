import { describe, expect, it } from "vitest";
import { sameRecord } from "./same-record.ts";

describe("sameRecord", () => {
  it("ignores key order and undefined members, not list order", () => {
    expect(sameRecord({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameRecord({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameRecord({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameRecord({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameRecord({ a: "1" }, { a: 1 })).toBe(false);
    expect(sameRecord([], {})).toBe(false);
    expect(sameRecord(null, {})).toBe(false);
  });
});
