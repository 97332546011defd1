import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { CliFailure, type CliIo } from "../io.ts";

/** A YAML or JSON file (YAML parses both), or standard input for `-`. */
export async function readDocument(io: CliIo, file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new CliFailure(`${file}: not valid YAML or JSON: ${(error as Error).message}`);
  }
}
