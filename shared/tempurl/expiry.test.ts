import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TempUrlError } from "./errors.ts";
import { checkExpires, daysFromCivil, formatIso8601 } from "./expiry.ts";

describe("formatIso8601", () => {
  it("renders like time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))", () => {
    expect(formatIso8601(0)).toBe("1970-01-01T00:00:00Z");
    expect(formatIso8601(1)).toBe("1970-01-01T00:00:01Z");
    expect(formatIso8601(1512508563)).toBe("2017-12-05T21:16:03Z");
    expect(formatIso8601(1648082711)).toBe("2022-03-24T00:45:11Z");
    expect(formatIso8601(951782400)).toBe("2000-02-29T00:00:00Z");
    expect(formatIso8601(253402300799)).toBe("9999-12-31T23:59:59Z");
    // Python (glibc) prints years past 9999 in full.
    expect(formatIso8601(253402300800)).toBe("10000-01-01T00:00:00Z");
    expect(formatIso8601(1e12)).toBe("33658-09-27T01:46:40Z");
    expect(formatIso8601(1e15)).toBe("31690708-07-05T01:46:40Z");
  });

  it("agrees with Date for every time Date can hold", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (t) => {
        expect(formatIso8601(t)).toBe(new Date(t * 1000).toISOString().replace(".000Z", "Z"));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("daysFromCivil", () => {
  it("inverts Date.UTC", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        }),
        (d) => {
          const days = daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
          expect(days).toBe(Math.floor(d.getTime() / 86400000));
        },
      ),
    );
  });
});

describe("checkExpires", () => {
  it("accepts non-negative safe integers only", () => {
    expect(() => checkExpires(0)).not.toThrow();
    expect(() => checkExpires(Number.MAX_SAFE_INTEGER)).not.toThrow();
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => checkExpires(bad)).toThrow(TempUrlError);
    }
  });
});
