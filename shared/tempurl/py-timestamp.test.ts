import { describe, expect, it } from "vitest";
import { pythonFloat } from "./py-float.ts";
import { parseTimestamp } from "./py-timestamp.ts";

// Expected values recorded from python3-swiftclient 4.1 / Python 3.11 (parse_timestamp).
const local = (...a: [number, number, number, number?, number?, number?]): number =>
  new Date(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0).getTime() / 1000;

describe("parseTimestamp", () => {
  it.each<[string | number, boolean, number, boolean]>([
    ["60", false, 60, false],
    ["60", true, 60, true],
    [60, false, 60, false],
    ["1e3", false, 1000, false],
    ["1E3", true, 1000, true],
    [" 7 ", false, 7, false],
    ["1_0", true, 10, true],
    ["+5", false, 5, false],
    ["-0", false, 0, false],
    ["1.0", true, 1, true],
    ["1.", false, 1, false],
    [".0", false, 0, false],
    ["\u0661\u0662", false, 12, false],
    ["\uff11\uff12", false, 12, false],
    ["\u30005", false, 5, false],
    ["5min", false, 300, false],
    ["5m", false, 300, false],
    ["1.5m", false, 90, false],
    ["-5m", false, -300, false],
    ["5hr", false, 18000, false],
    ["2h", false, 7200, false],
    ["1d", false, 86400, false],
    ["5 s", false, 5, false],
    ["1e2s", false, 100, false],
    ["5e-1m", false, 30, false],
    ["1_000s", false, 1000, false],
    ["+5m", false, 300, false],
    ["-0.5s", false, 0, false],
    ["2017-12-05T21:16:03Z", false, 1512508563, true],
    ["2017-1-5T1:2:3Z", false, 1483578123, true],
    ["2017-01-05t01:02:03z", true, 1483578123, true],
    ["2017-01-05T01:02:60Z", false, 1483578180, true],
    ["2017-01-05T01:02:61Z", false, 1483578181, true],
    ["2017-01- 5T01:02:03Z", false, 1483578123, true],
    ["2016-02-29T00:00:00Z", false, 1456704000, true],
    ["1960-01-01T00:00:00Z", false, -315619200, true],
    ["2017-01-05T01:02:03", false, local(2017, 1, 5, 1, 2, 3), true],
    ["2017-01-05", true, local(2017, 1, 5), true],
  ])("%j (absolute %s) -> %d (absolute %s)", (seconds, absolute, timestamp, abs) => {
    expect(parseTimestamp(seconds, absolute)).toEqual({ timestamp, absolute: abs });
  });

  it.each<[string | number, boolean]>([
    ["0x10", false],
    ["inf", false],
    ["nan", false],
    ["-1", false],
    ["--1", false],
    ["0b1", false],
    ["1e400", false],
    ["1.5", false],
    [1.5, true],
    [-1, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, true],
    ["5min", true],
    ["5m", true],
    ["5H", false],
    ["s", false],
    ["infs", false],
    ["nans", false],
    ["5ms", false],
    ["2017-02-30", false],
    ["2017-02-29T00:00:00Z", false],
    ["0000-01-01", false],
    ["2017-01-05T24:00:00Z", false],
    ["2017-01-05T01:02:033", false],
    [" 2017-01-05", false],
    ["00012017-01-05", false],
    ["2017-01-05d", false],
    ["2017-01-05T01:02:03+00:00", false],
    ["", false],
    ["\x1c5", false],
    ["1__0", false],
  ])("%j (absolute %s) is an error", (seconds, absolute) => {
    expect(parseTimestamp(seconds, absolute)).toBeUndefined();
  });
});

describe("pythonFloat", () => {
  it("follows float()'s grammar", () => {
    expect(pythonFloat("1_0_0")).toBe(100);
    expect(pythonFloat("1.5_0")).toBe(1.5);
    expect(pythonFloat("-iNfInItY")).toBe(Number.NEGATIVE_INFINITY);
    expect(pythonFloat("\u00a05\u2028")).toBe(5);
    expect(pythonFloat("\ud835\udfd7")).toBe(9); // MATHEMATICAL BOLD DIGIT NINE
    expect(pythonFloat("\ud835\udfe2")).toBe(0); // MATHEMATICAL SANS-SERIF DIGIT ZERO
    for (const bad of [
      "_1",
      "1_",
      "1_.5",
      "1._5",
      "1e_5",
      "1_e5",
      "+_1",
      "1e",
      ".",
      "e5",
      "nan(1)",
      "5\x1f",
    ]) {
      expect(pythonFloat(bad)).toBeUndefined();
    }
    expect(Number.isNaN(pythonFloat("+nan"))).toBe(true);
  });
});
