import { echoArgs } from "./echo-text.ts";
import { type TokenProblem, tokenProblem } from "./tokens.ts";
import { ipxeUrlProblem } from "./url.ts";

/**
 * A small typed builder for iPXE scripts. Every argument is checked as it is added, so a value
 * that could change the script's meaning (see tokens.ts) throws instead of being emitted; callers
 * turn that into a safe error script. Nothing here knows what swiftboot boots.
 */

/** The commands generated scripts may use: the allow-list the property tests hold scripts to. */
export const IPXE_COMMANDS = [
  "boot",
  "chain",
  "echo",
  "exit",
  "goto",
  "imgfree",
  "initrd",
  "kernel",
  "reboot",
  "shell",
  "sleep",
] as const;
export type IpxeCommand = (typeof IPXE_COMMANDS)[number];

/** iPXE settings a generator may expand on purpose (everything else is literal). */
export const IPXE_SETTINGS = ["mac:hexhyp", "uuid", "buildarch", "platform"] as const;
export type IpxeSetting = (typeof IPXE_SETTINGS)[number];

/** A value that cannot be placed in a script. `what` names it for the error script and logs. */
export class UnsafeScriptValueError extends Error {
  override name = "UnsafeScriptValueError";
  constructor(
    readonly what: string,
    readonly problem: TokenProblem | string,
  ) {
    super(`${what} is unsafe in an iPXE script (${problem})`);
  }
}

/**
 * One script token made of literal parts and deliberate `${setting}` expansions. Only this module
 * can create one, so an expansion in a script is always one the generator asked for.
 */
export class ScriptToken {
  private constructor(
    readonly text: string,
    readonly expansions: number,
  ) {}

  /** `${setting}`, expanded by iPXE when the line runs. */
  static expansion(setting: IpxeSetting): ScriptToken {
    return new ScriptToken(`\${${setting}}`, 1);
  }

  /** A literal value, checked once here (so `what` names it if it fails) rather than per line. */
  static literal(value: string, what: string): ScriptToken {
    const problem = tokenProblem(value);
    if (problem !== undefined) throw new UnsafeScriptValueError(what, problem);
    return new ScriptToken(value, 0);
  }

  /** A literal URL that must also survive iPXE's URI handling (url.ts). */
  static url(url: string, what: string): ScriptToken {
    const problem = ipxeUrlProblem(url);
    if (problem !== undefined) throw new UnsafeScriptValueError(what, problem);
    return new ScriptToken(url, 0);
  }

  /** Concatenates literal strings and tokens into one token, checking the result. */
  static join(parts: readonly (string | ScriptToken)[], what = "token"): ScriptToken {
    let text = "";
    let expansions = 0;
    for (const part of parts) {
      if (typeof part === "string") {
        text += part;
      } else {
        text += part.text;
        expansions += part.expansions;
      }
    }
    const problem = tokenProblem(text);
    if (problem !== undefined && problem !== "variable expansion") {
      throw new UnsafeScriptValueError(what, problem);
    }
    // Literal parts hold no `${`; one can still form across a boundary (`$` + `{...`), which would
    // show up as more `${` than the expansions asked for.
    if (countExpansions(text) !== expansions) {
      throw new UnsafeScriptValueError(what, "variable expansion");
    }
    return new ScriptToken(text, expansions);
  }
}

export type ScriptArg = string | ScriptToken;
/** A command and its arguments, e.g. `["sleep", "5"]`. */
export type ScriptCommand = readonly [IpxeCommand, ...ScriptArg[]];

const LABEL = /^[A-Za-z0-9_-]{1,64}$/;

// iPXE only runs a file as a script if `#!ipxe` is at byte 0, followed by whitespace.
const HEADER = "#!ipxe\n";

/**
 * Lines built (and so checked) once through an IpxeScript, to be appended as they are to every
 * script that repeats them: a generator's fixed lines cost nothing per script.
 */
export class ScriptFragment {
  private constructor(readonly text: string) {}

  static of(build: (script: IpxeScript) => unknown): ScriptFragment {
    const script = new IpxeScript();
    build(script);
    return new ScriptFragment(script.toString().slice(HEADER.length));
  }
}

export class IpxeScript {
  #text = HEADER;

  /** One line: `command args...`, optionally followed by `|| fallback...`. */
  line(command: ScriptCommand, orElse?: ScriptCommand): this {
    let line = commandText(command);
    if (orElse !== undefined) line += ` || ${commandText(orElse)}`;
    this.#text += `${line}\n`;
    return this;
  }

  /** `:name`, a `goto` target. */
  label(name: string): this {
    if (!LABEL.test(name)) throw new UnsafeScriptValueError("label", "not a plain label name");
    this.#text += `:${name}\n`;
    return this;
  }

  /** `echo` with `text` made safe (echo-text.ts): never throws, whatever the text. */
  echo(text: string): this {
    const args = echoArgs(text);
    this.#text += args === "" ? "echo\n" : `echo ${args}\n`;
    return this;
  }

  /** Lines made by ScriptFragment.of, already checked. */
  append(fragment: ScriptFragment): this {
    this.#text += fragment.text;
    return this;
  }

  toString(): string {
    return this.#text;
  }
}

function commandText(command: ScriptCommand): string {
  let text: string = command[0];
  for (let i = 1; i < command.length; i++) {
    const arg = command[i] as ScriptArg;
    if (typeof arg === "string") {
      const problem = tokenProblem(arg);
      if (problem !== undefined)
        throw new UnsafeScriptValueError(`argument ${i} of ${command[0]}`, problem);
      text += ` ${arg}`;
    } else {
      text += ` ${arg.text}`;
    }
  }
  return text;
}

function countExpansions(text: string): number {
  let count = 0;
  for (let i = text.indexOf("${"); i !== -1; i = text.indexOf("${", i + 2)) count++;
  return count;
}
