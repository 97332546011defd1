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
  const words: string[] = [];
  let word = "";
  let budget = MAX_ECHO_CHARS;
  const source = needsTransliteration(text)
    ? text.normalize("NFKD").replace(COMBINING_MARKS, "")
    : text;

  const flush = () => {
    if (word === "") return;
    words.push(quoteIfNeeded(word, words.length === 0));
    word = "";
  };

  for (const ch of source) {
    if (budget === 0) {
      flush();
      words.push("...");
      break;
    }
    const code = ch.codePointAt(0) as number;
    if (code <= 0x20 || code === 0x7f || (code > 0x7f && UNICODE_SPACE.test(ch))) {
      flush();
      continue;
    }
    let out = code > 0x7e ? "?" : ch;
    if (out === "{" && word.endsWith("$")) out = "(";
    word += out;
    budget--;
  }
  flush();
  return words;
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
