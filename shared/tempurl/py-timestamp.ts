/**
 * python-swiftclient's `parse_timestamp(seconds, absolute)`: how `swift tempurl` and
 * `generate_temp_url` read their time argument.
 *
 * - A number, or a string Python's float() accepts, must be a whole number >= 0 ("1.0" is fine,
 *   "1.5" is not); it is relative seconds unless `absolute`.
 * - Otherwise an ISO 8601 date, tried as `%Y-%m-%dT%H:%M:%SZ` (UTC), `%Y-%m-%dT%H:%M:%S` and
 *   `%Y-%m-%d` (both local time, as time.mktime); these are always absolute. strptime's quirks
 *   are kept: one-digit fields, case-insensitive `T`/`Z`, seconds 60 and 61, a space before a
 *   one-digit day.
 * - Otherwise, when relative, a float with a suffix s, m, min, h, hr or d, truncated to an
 *   integer after scaling.
 */
import { daysFromCivil } from "./expiry.ts";
import { decimalDigitValue, pythonFloat } from "./py-float.ts";

export const TIME_ERRMSG = "time must either be a whole number or in specific ISO 8601 format.";

export interface ParsedTimestamp {
  /** Whole seconds: absolute Unix time, or an offset from now (may be negative with a suffix). */
  timestamp: number;
  absolute: boolean;
}

// The regexes _strptime builds for these formats (its \d matches any Unicode decimal digit and
// it compiles with IGNORECASE). Not anchored at the end: like re.match, the first match wins and
// leftover text is then an error, not a reason to backtrack.
const D = "\\p{Nd}";
const DATE = `(${D}${D}${D}${D})-(1[0-2]|0[1-9]|[1-9])-(3[0-1]|[1-2]${D}|0[1-9]|[1-9]| [1-9])`;
const TIME = `T(2[0-3]|[0-1]${D}|${D}):([0-5]${D}|${D}):(6[0-1]|[0-5]${D}|${D})`;
const FORMATS: { regex: RegExp; utc: boolean }[] = [
  { regex: new RegExp(`^${DATE}${TIME}Z`, "iu"), utc: true },
  { regex: new RegExp(`^${DATE}${TIME}`, "iu"), utc: false },
  { regex: new RegExp(`^${DATE}`, "iu"), utc: false },
];

const SUFFIXES: [string, number][] = [
  ["s", 1],
  ["m", 60],
  ["min", 60],
  ["h", 3600],
  ["hr", 3600],
  ["d", 86400],
];

/** Python's int() of a run of Unicode decimal digits (a leading space allowed, as in " 5"). */
function intOf(digits: string | undefined): number {
  let n = 0;
  for (const ch of (digits ?? "").trim())
    n = n * 10 + decimalDigitValue(ch.codePointAt(0) as number);
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Seconds for an ISO 8601 string, or undefined where all three strptime formats fail. */
function parseIso(text: string): number | undefined {
  for (const { regex, utc } of FORMATS) {
    const m = regex.exec(text);
    if (m === null || m[0].length !== text.length) continue;
    const [year, month, day] = [intOf(m[1]), intOf(m[2]), intOf(m[3])];
    // strptime computes the day of the year through datetime.date, which refuses these.
    if (year < 1 || day > daysInMonth(year, month)) continue;
    const [hour, minute, second] = [intOf(m[4]), intOf(m[5]), intOf(m[6])];
    if (utc) {
      return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    }
    const local = new Date(2000, 0, 1);
    local.setFullYear(year, month - 1, day);
    local.setHours(hour, minute, second, 0);
    return Math.trunc(local.getTime() / 1000);
  }
  return undefined;
}

/** The port of parse_timestamp; undefined where Python raises (the CLI prints TIME_ERRMSG). */
export function parseTimestamp(
  seconds: number | string,
  absolute: boolean,
): ParsedTimestamp | undefined {
  const value = typeof seconds === "number" ? seconds : pythonFloat(seconds);
  if (value !== undefined) {
    if (!Number.isInteger(value) || value < 0) return undefined;
    return { timestamp: value === 0 ? 0 : value, absolute };
  }
  if (typeof seconds !== "string") return undefined;
  const iso = parseIso(seconds);
  if (iso !== undefined) return { timestamp: iso, absolute: true };
  if (absolute) return undefined;
  for (const [suffix, multiplier] of SUFFIXES) {
    if (!seconds.endsWith(suffix)) continue;
    const amount = pythonFloat(seconds.slice(0, -suffix.length));
    // Python raises ValueError for NaN and OverflowError (a crash) for infinities.
    if (amount === undefined || !Number.isFinite(amount)) return undefined;
    const scaled = Math.trunc(multiplier * amount);
    return { timestamp: scaled === 0 ? 0 : scaled, absolute: false };
  }
  return undefined;
}
