import { tokenProblem } from "./tokens.ts";

/**
 * Turns arbitrary text (node names, reasons, values from a request) into the argument tokens of
 * an iPXE `echo` line that print roughly the same words and can never do anything else.
 *
 * iPXE splits on whitespace with no quoting and expands `${...}` everywhere (tokens.ts), so the
 * text is rewritten rather than escaped:
 * - whitespace and control characters separate words (newlines cannot start a new command);
 * - accents are dropped (`é` -> `e`) and any other non-ASCII character becomes `?`;
 * - a `{` that would follow a `$` becomes `(`, so no `${` can form, however the input nests;
 * - a word that would be an operator (`||`, `&&`, `;`), start a comment (`#`) or end in a line
 *   continuation (`\`) is wrapped in single quotes, which iPXE prints literally;
 * - the first word must not start with `-`: `echo` would parse it as an option and fail.
 */

/** Long enough for any message swiftboot writes; bounds what a hostile value can put on screen. */
export const MAX_ECHO_CHARS = 480;

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const UNICODE_SPACE = /\s/u;

export function echoWords(text: string): string[] {
  const clean = isPlain(text) ? text : rewrite(text);
  const words: string[] = [];
  for (const word of clean.split(" ")) {
    if (word !== "") words.push(quoteIfNeeded(word, words.length === 0));
  }
  return words;
}

/**
 * An `echo` line's arguments: the safe words joined by single spaces ("" for none). Messages made
 * of plain words come back unchanged without being split (this runs several times per request).
 */
export function echoArgs(text: string): string {
  return isSimple(text) ? text : echoWords(text).join(" ");
}

/** Words of printable ASCII other than `#`, `&`, `;`, backslash and `|`, separated by single spaces. */
const SIMPLE_WORDS = /^(?:[!"$%'-:<-[\]-{}~]+(?: [!"$%'-:<-[\]-{}~]+)*)?$/;

/**
 * Printable ASCII words separated by single spaces, with none of `#`, `\`, `|`, `&`, `;`, no
 * `${` and no leading `-`: every word is then a safe token, and no word can be an operator.
 * (One compiled regexp: this runs on every echo line of every script.)
 */
function isSimple(text: string): boolean {
  return (
    text.length <= MAX_ECHO_CHARS &&
    text.charCodeAt(0) !== 0x2d &&
    SIMPLE_WORDS.test(text) &&
    !text.includes("${")
  );
}

/** Most messages are printable ASCII already; they skip the rewrite. */
function isPlain(text: string): boolean {
  if (text.length > MAX_ECHO_CHARS) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
    if (code === 0x7b && text.charCodeAt(i - 1) === 0x24) return false; // `${`
  }
  return true;
}

/** Printable ASCII words separated by single spaces, with no `${`, at most MAX_ECHO_CHARS long. */
function rewrite(text: string): string {
  const source = needsTransliteration(text)
    ? text.normalize("NFKD").replace(COMBINING_MARKS, "")
    : text;
  let out = "";
  let budget = MAX_ECHO_CHARS;
  for (const ch of source) {
    const code = ch.codePointAt(0) as number;
    if (code <= 0x20 || code === 0x7f || (code > 0x7f && UNICODE_SPACE.test(ch))) {
      if (out !== "" && !out.endsWith(" ")) out += " ";
      continue;
    }
    if (budget === 0) {
      out += " ...";
      break;
    }
    let printable = code > 0x7e ? "?" : ch;
    if (printable === "{" && out.endsWith("$")) printable = "(";
    out += printable;
    budget--;
  }
  return out;
}

/** The echo line's text as iPXE will print it (words joined by single spaces). */
export function echoText(text: string): string {
  return echoWords(text).join(" ");
}

function needsTransliteration(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

function quoteIfNeeded(word: string, first: boolean): string {
  if (tokenProblem(word) === undefined && !(first && word.startsWith("-"))) return word;
  // Only operator, comment and continuation problems can remain here; quotes defuse all three.
  const quoted = `'${word}'`;
  if (tokenProblem(quoted) !== undefined) throw new Error(`echo word still unsafe: ${quoted}`);
  return quoted;
}
