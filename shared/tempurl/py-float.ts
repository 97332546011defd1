/**
 * Python's `float(str)`, which python-swiftclient applies to the seconds argument: so "1e3",
 * " 7 ", "1_000", "+5", "٣" and "1." are numbers there and must be here too.
 */

// str.isspace() outside ASCII; float() turns these into spaces before parsing.
const UNICODE_SPACES = new Set([
  0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
  0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);
const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * Value 0-9 of a Unicode decimal digit, or -1. Unicode assigns decimal digits only in contiguous
 * runs 0..9, so a digit's value is its distance from the start of its run of digits, modulo 10
 * (runs can abut, as the mathematical digits do).
 */
export function decimalDigitValue(codePoint: number): number {
  if (codePoint >= 0x30 && codePoint <= 0x39) return codePoint - 0x30;
  if (codePoint < 0x80 || !DECIMAL_DIGIT.test(String.fromCodePoint(codePoint))) return -1;
  let before = 0;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(codePoint - before - 1))) before++;
  return before % 10;
}

/** `_PyUnicode_TransformDecimalAndSpaceToASCII`: anything else non-ASCII becomes invalid. */
function toAscii(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) out += ch;
    else if (UNICODE_SPACES.has(cp)) out += " ";
    else {
      const digit = decimalDigitValue(cp);
      out += digit >= 0 ? String.fromCharCode(0x30 + digit) : "?";
    }
  }
  return out;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
// Py_ISSPACE: what float() strips after the transformation above (not \x1c-\x1f).
const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** Python's underscore rule: only between two digits. Returns the string without them. */
function dropUnderscores(s: string): string | undefined {
  if (!s.includes("_")) return s;
  let out = "";
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) {
      if (!isDigit(prev)) return undefined;
    } else {
      if (prev === 0x5f && !isDigit(c)) return undefined;
      out += s[i];
    }
    prev = c;
  }
  return prev === 0x5f ? undefined : out;
}

/** Length of the digit run starting at i. */
function digitsAt(s: string, i: number): number {
  let j = i;
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  return j - i;
}

/** True if `s` is exactly `[sign] (digits [. [digits]] | . digits) [(e|E) [sign] digits]`. */
function isDecimalLiteral(s: string): boolean {
  let i = 0;
  if (s[i] === "+" || s[i] === "-") i++;
  const intDigits = digitsAt(s, i);
  i += intDigits;
  let fracDigits = 0;
  if (s[i] === ".") {
    i++;
    fracDigits = digitsAt(s, i);
    i += fracDigits;
  }
  if (intDigits + fracDigits === 0) return false;
  if (s[i] === "e" || s[i] === "E") {
    i++;
    if (s[i] === "+" || s[i] === "-") i++;
    const expDigits = digitsAt(s, i);
    if (expDigits === 0) return false;
    i += expDigits;
  }
  return i === s.length;
}

const SPECIALS: Record<string, number> = {
  inf: Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  nan: Number.NaN,
};

/** `float(s)` for a str, or undefined where Python raises ValueError. */
export function pythonFloat(input: string): number | undefined {
  const ascii = dropUnderscores(toAscii(input));
  if (ascii === undefined) return undefined;
  let start = 0;
  let end = ascii.length;
  while (start < end && isCSpace(ascii.charCodeAt(start))) start++;
  while (end > start && isCSpace(ascii.charCodeAt(end - 1))) end--;
  const s = ascii.slice(start, end);
  if (isDecimalLiteral(s)) return Number(s);
  const sign = s[0] === "-" ? -1 : 1;
  const word = (s[0] === "+" || s[0] === "-" ? s.slice(1) : s).toLowerCase();
  const special = Object.hasOwn(SPECIALS, word) ? SPECIALS[word] : undefined;
  return special === undefined ? undefined : sign * special;
}
