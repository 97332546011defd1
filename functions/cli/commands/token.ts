import type { Command } from "commander";
import { generateToken, SCOPES, type Scope, sha256Hex } from "../../../shared/http/auth/index.ts";
import { CliFailure, type CliIo } from "../io.ts";

/**
 * `swiftboot token`: a new admin API token and the `admin.tokens` entry that admits it. Only the
 * entry (a hash) goes into the server's configuration; the token itself is shown once, here.
 */
export function registerToken(program: Command, io: CliIo): Command {
  return program
    .command("token")
    .description("Generate an admin API token and print its admin.tokens entry.")
    .option("--scope <scope>", "read (GET only) or admin (everything)", "admin")
    .option("--json", "print { token, scope, entry } as JSON")
    .action(async (options: { scope: string; json?: boolean }) => {
      if (!(SCOPES as readonly string[]).includes(options.scope)) {
        throw new CliFailure(`--scope must be read or admin, not ${options.scope}`);
      }
      const scope = options.scope as Scope;
      const token = generateToken();
      const entry = `${scope}:${await sha256Hex(token)}`;
      if (options.json) {
        io.out(JSON.stringify({ token, scope, entry }));
        return;
      }
      io.out(`token:  ${token}`);
      io.out(`entry:  ${entry}`);
      io.out("");
      io.out(
        "Add the entry to the server's admin.tokens (SWIFTBOOT_ADMIN_TOKENS; separate entries",
      );
      io.out(
        "with commas) and give the token to its user (SWIFTBOOT_API_TOKEN). It is not shown again.",
      );
    });
}
