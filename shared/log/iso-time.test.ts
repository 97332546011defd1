import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "./iso-time.ts";

describe("isoTime", () => {
  it("is toISOString for any sequence of times, repeats included (property)", () => {
    const ms = fc.integer({ min: -8.64e15, max: 8.64e15 });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(ms, fc.constant(0), fc.constant(1_700_000_000_000))),
        (times) => {
          for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
        },
      ),
    );
  });

  it("throws for an invalid time, every time", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(9e15)).toThrow(RangeError);
  });
});
