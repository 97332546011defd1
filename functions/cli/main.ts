import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ConfigError } from "../../shared/config/index.ts";
import { StoreError } from "../../shared/store/index.ts";
import { registerCache } from "./commands/cache.ts";
import { registerDiscovered, registerNodeEnroll } from "./commands/discovered.ts";
import { registerImages } from "./commands/images.ts";
import { registerImport } from "./commands/import.ts";
import { registerIpxe } from "./commands/ipxe.ts";
import { registerNodes } from "./commands/nodes.ts";
import { registerScript } from "./commands/script.ts";
import { registerTempurl } from "./commands/tempurl.ts";
import { registerToken } from "./commands/token.ts";
import { CliFailure, type CliIo, processIo } from "./io.ts";

/** The version in package.json, for `swiftboot --version`. */
function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command("swiftboot")
    .description("swiftboot: iPXE boot scripts with Swift temp URLs or signed artifact URLs")
    .version(packageVersion(), "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  registerTempurl(program);
  registerImport(program, io);
  registerScript(program, io);
  registerImages(program, io);
  registerNodeEnroll(registerNodes(program, io), io);
  registerDiscovered(program, io);
  registerToken(program, io);
  registerCache(program, io);
  registerIpxe(program, io);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram({
    ...io,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  try {
    await program.parseAsync(argv);
    return exitCode || Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (
      error instanceof ConfigError ||
      error instanceof CliFailure ||
      error instanceof StoreError
    ) {
      io.err(`swiftboot: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
