/**
 * iPXE's script parser (see docs/architecture.md, "Script safety") splits lines on whitespace with no
 * quoting, treats whole-token `||`, `&&` and `;` as operators, a token starting with `#` as a
 * comment, a trailing backslash as a line join, and expands `${...}` anywhere with no escape.
 * A value is safe to place in a script as one token only if none of those can apply to it.
 */

export type TokenProblem =
  | "empty"
  | "whitespace or control character"
  | "non-ASCII character"
  | "operator"
  | "comment"
  | "variable expansion"
  | "line continuation";

const OPERATORS = new Set(["||", "&&", ";"]);

/** Printable ASCII without spaces, at least one character. */
const PRINTABLE = /^[!-~]+$/;

/**
 * Why `token` cannot be placed in a script as a single literal token, or undefined if it can.
 * Every argument of every script passes here, so a safe token is recognised by one compiled
 * regexp and a few character tests; only an unsafe one is looked at closely to name the problem.
 */
export function tokenProblem(token: string): TokenProblem | undefined {
  if (
    PRINTABLE.test(token) &&
    (token.length > 2 || !OPERATORS.has(token)) &&
    token.charCodeAt(0) !== 0x23 && // `#`
    token.charCodeAt(token.length - 1) !== 0x5c && // `\`
    !token.includes("${")
  ) {
    return undefined;
  }
  return problemOf(token);
}

function problemOf(token: string): TokenProblem | undefined {
  if (token.length === 0) return "empty";
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return "whitespace or control character";
    if (code > 0x7e) return "non-ASCII character";
  }
  if (OPERATORS.has(token)) return "operator";
  if (token.startsWith("#")) return "comment";
  if (token.includes("${")) return "variable expansion";
  if (token.endsWith("\\")) return "line continuation";
  return undefined;
}

export function isSafeToken(token: string): boolean {
  return tokenProblem(token) === undefined;
}

/** Splits a kernel command line into tokens and reports the first unsafe one. */
export function kernelArgsProblem(args: string): string | undefined {
  if (args.length > 4096) return "is longer than 4096 characters";
  // Splitting on a single space only: tabs and newlines must surface as unsafe tokens.
  for (const token of args.split(" ")) {
    if (token === "") continue;
    const problem = tokenProblem(token);
    if (problem !== undefined)
      return `token ${JSON.stringify(token)} is unsafe in an iPXE script (${problem})`;
  }
  return undefined;
}
