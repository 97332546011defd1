import { IPXE_COMMANDS } from "../../../shared/ipxe/script.ts";
import { expansionsIn, type ParsedCommand, type ParsedScript, parseIpxeScript } from "./parse.ts";

/**
 * What a generated script may contain, checked through the test model of iPXE's parser: the
 * structural half of "no value can change what the script does". Returns every problem found
 * (empty when the script is fine), so a failing property shows all of them at once.
 */
export interface ScriptExpectations {
  /** Commands allowed; default: the builder's allow-list. */
  commands?: readonly string[];
  /** Settings allowed in `${...}`, each paired with the command whose arguments may hold it. */
  expansions?: readonly { setting: string; command: string }[];
}

export function scriptProblems(script: string, expect: ScriptExpectations = {}): string[] {
  const problems: string[] = [];
  const commands = new Set(expect.commands ?? IPXE_COMMANDS);
  const expansions = expect.expansions ?? [];
  if (!script.startsWith("#!ipxe\n")) problems.push("does not start with #!ipxe\\n");
  if (script.includes("\r")) problems.push("contains a carriage return");
  const parsed: ParsedScript = parseIpxeScript(script);
  if (!parsed.magicOk) problems.push("iPXE would not run it as a script");

  const labels = new Set(parsed.lines.flatMap((l) => (l.label === undefined ? [] : [l.label])));
  parsed.lines.forEach((line, index) => {
    const where = `line ${line.line}`;
    // The magic line is the only comment a generator writes.
    if (index === 0) {
      if (line.comment !== "#!ipxe" || line.commands.length > 0 || line.label !== undefined) {
        problems.push(`${where}: first line is not just #!ipxe`);
      }
      return;
    }
    if (line.comment !== undefined)
      problems.push(`${where}: comment ${JSON.stringify(line.comment)}`);
    if (line.label !== undefined && line.commands.length > 0)
      problems.push(`${where}: label with a command`);
    line.commands.forEach((command, i) => {
      checkCommand(command, where, commands, expansions, problems);
      // The only operator a generator places: `<command> || goto <label>`, once per line.
      if (command.next !== undefined) {
        const fallback = line.commands[i + 1];
        if (command.next !== "||" || i !== 0 || line.commands.length !== 2) {
          problems.push(`${where}: unexpected operator ${command.next}`);
        } else if (
          fallback?.name !== "goto" ||
          fallback.args.length !== 1 ||
          !labels.has(fallback.args[0] ?? "")
        ) {
          problems.push(`${where}: || is not followed by goto <existing label>`);
        }
      }
    });
  });
  for (const line of script.split("\n")) {
    if (line.endsWith("\\")) problems.push(`line continuation in ${JSON.stringify(line)}`);
  }
  return problems;
}

function checkCommand(
  command: ParsedCommand,
  where: string,
  allowed: ReadonlySet<string>,
  expansions: readonly { setting: string; command: string }[],
  problems: string[],
): void {
  if (!allowed.has(command.name))
    problems.push(`${where}: command ${JSON.stringify(command.name)} not allowed`);
  if (command.name === "echo" && command.args[0]?.startsWith("-")) {
    problems.push(`${where}: echo's first word would be read as an option`);
  }
  for (const token of [command.name, ...command.args]) {
    for (const setting of expansionsIn(token)) {
      const ok = expansions.some((e) => e.setting === setting && e.command === command.name);
      if (!ok) problems.push(`${where}: unintended expansion \${${setting}} in ${command.name}`);
    }
  }
}

/** The commands of a script in order, for tests that check a particular line's arguments. */
export function parsedCommands(script: string): ParsedCommand[] {
  return parseIpxeScript(script).lines.flatMap((l) => l.commands);
}
