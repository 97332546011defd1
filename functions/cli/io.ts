import type { Config } from "../../shared/config/index.ts";
import { loadLocalConfig } from "../local/config.ts";
import type { Credentials } from "./commands/sigv4.ts";

/** What commands print to and read from; tests capture it. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
  setExitCode(code: number): void;
  env: Record<string, string | undefined>;
  /** AWS credentials for SigV4; default: the standard chain (environment, profiles, roles). */
  awsCredentials?: Credentials;
  /** Standard error is a terminal: long runs show progress there. */
  errIsTty?: boolean;
  /** Writes to standard error without a newline (a progress line rewritten in place). */
  errPartial?(text: string): void;
}

/** An expected failure: its message is printed alone, without a stack, and the exit code is 1. */
export class CliFailure extends Error {
  override name = "CliFailure";
}

export function loadCliConfig(io: CliIo): Config {
  return loadLocalConfig(io.env);
}

export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    setExitCode: (code) => {
      process.exitCode = code;
    },
    env: process.env,
    errIsTty: process.stderr.isTTY === true,
    errPartial: (text) => process.stderr.write(text),
  };
}
