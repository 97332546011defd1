/**
 * A model of how iPXE reads a script, for tests only. It follows /work/shared/reference/ipxe.md
 * and iPXE's own src/image/script.c and src/core/exec.c:
 * - the file must start with `#!ipxe` (or `#!gpxe`) followed by a whitespace character;
 * - lines end at `\n`; one trailing `\r` is dropped; a line ending in `\` is joined to the next;
 * - after optional leading whitespace, `:name` makes the line a label (the rest is a command);
 * - a line is split on C `isspace` characters, with no quoting of any kind;
 * - within a line, a token starting with `#` ends it (comment); whole tokens `||`, `&&` and `;`
 *   separate commands;
 * - each token is then expanded on its own: every `${...}` in it is a settings expansion.
 */

export type Operator = "||" | "&&" | ";";

export interface ParsedCommand {
  /** The first token (the command name), unexpanded. */
  name: string;
  args: string[];
  /** The operator that follows this command on its line, if any. */
  next?: Operator;
}

export interface ParsedLine {
  /** 1-based number of the first physical line. */
  line: number;
  label?: string;
  commands: ParsedCommand[];
  /** Text after a `#` token, if the line has a comment. */
  comment?: string;
}

export interface ParsedScript {
  /** True if iPXE would accept the file as a script at all. */
  magicOk: boolean;
  lines: ParsedLine[];
}

const IS_SPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);
const OPERATORS = new Set<string>(["||", "&&", ";"]);

export function parseIpxeScript(text: string): ParsedScript {
  const magicOk = /^#![ig]pxe[ \t\n\v\f\r]/.test(text);
  const physical = text.split("\n");
  // A trailing newline does not start another line (iPXE stops at the end of the data).
  if (physical.length > 0 && physical[physical.length - 1] === "") physical.pop();

  const lines: ParsedLine[] = [];
  let pending = "";
  let pendingStart = 0;
  physical.forEach((raw, index) => {
    if (pending === "") pendingStart = index + 1;
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1);
      return;
    }
    line = pending + line;
    pending = "";
    lines.push(parseLine(line, pendingStart));
  });
  if (pending !== "") lines.push(parseLine(pending, pendingStart));
  return { magicOk, lines };
}

function parseLine(text: string, lineNo: number): ParsedLine {
  let rest = text;
  let i = 0;
  while (i < rest.length && IS_SPACE.has(rest[i] as string)) i++;
  let label: string | undefined;
  if (rest[i] === ":") {
    let j = i + 1;
    while (j < rest.length && !IS_SPACE.has(rest[j] as string)) j++;
    label = rest.slice(i + 1, j);
    rest = rest.slice(j);
  }
  const tokens = splitTokens(rest);
  const result: ParsedLine = { line: lineNo, commands: [] };
  if (label !== undefined) result.label = label;

  let current: string[] = [];
  const push = (next?: Operator) => {
    const [name, ...args] = current;
    if (name !== undefined) {
      const command: ParsedCommand = { name, args };
      if (next !== undefined) command.next = next;
      result.commands.push(command);
    } else if (next !== undefined) {
      // An operator with no command before it: keep it visible to the tests.
      result.commands.push({ name: "", args: [], next });
    }
    current = [];
  };
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t] as string;
    if (token.startsWith("#")) {
      result.comment = tokens.slice(t).join(" ");
      break;
    }
    if (OPERATORS.has(token)) {
      push(token as Operator);
      continue;
    }
    current.push(token);
  }
  push();
  return result;
}

export function splitTokens(line: string): string[] {
  const tokens: string[] = [];
  let token = "";
  for (const ch of line) {
    if (IS_SPACE.has(ch)) {
      if (token !== "") tokens.push(token);
      token = "";
    } else {
      token += ch;
    }
  }
  if (token !== "") tokens.push(token);
  return tokens;
}

/**
 * The settings a token expands, outermost first, as iPXE would find them: `${` opens, the
 * matching `}` closes, and expansions nest.
 */
export function expansionsIn(token: string): string[] {
  const found: string[] = [];
  const starts: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === "$" && token[i + 1] === "{") {
      starts.push(i);
      i++;
    } else if (token[i] === "}" && starts.length > 0) {
      const start = starts.pop() as number;
      found.push(token.slice(start + 2, i));
    }
  }
  // An unclosed `${` is still an expansion attempt.
  for (const start of starts) found.push(token.slice(start + 2));
  return found;
}

/** Every command in the script, in order, with the label of its line. */
export function commandsOf(script: ParsedScript): ParsedCommand[] {
  return script.lines.flatMap((l) => l.commands);
}
