/**
 * `swiftboot tempurl`: python-swiftclient's `swift tempurl`, same arguments and output.
 *
 * Like swift's argparse setup, options may come anywhere, words that look like unknown options
 * ("-5m") are positionals, and extra positionals are ignored. Exit codes: 0 with the URL on
 * stdout; 1 with the message on stderr for bad input; 2 for an invalid --digest choice.
 * Deliberately stricter than swift (which signs URLs Swift will refuse): unknown methods (after
 * swift's own warning line), invalid ip ranges, an empty key, non-v1 paths and negative offsets
 * are errors.
 */
import type { Command } from "commander";
import {
  generateTempUrl,
  splitStorageUrl,
  TEMP_URL_DIGESTS,
  TEMP_URL_METHODS,
  type TempUrlDigest,
  TempUrlError,
} from "../../../shared/tempurl/index.ts";

export interface TempurlDeps {
  /** Unix seconds, fractional; tests pin it. */
  now?: () => number;
}

interface TempurlOptions {
  absolute?: boolean;
  prefixBased?: boolean;
  iso8601?: boolean;
  ipRange?: string;
  digest?: string;
}

const USAGE =
  "Usage: swiftboot tempurl [--absolute] [--prefix-based] [--iso8601] [--ip-range <range>]\n" +
  "                         [--digest <sha1|sha256|sha512>] <method> <time> <path> <key>";

const HELP_AFTER = `
Arguments:
  <method>   HTTP method to allow: GET, HEAD, PUT, POST or DELETE.
  <time>     How long the URL stays valid: whole seconds, or a number with a suffix s, m, min,
             h, hr or d; or an absolute ISO 8601 time: YYYY-MM-DDThh:mm:ssZ (UTC), or
             YYYY-MM-DDThh:mm:ss / YYYY-MM-DD (local time). With --absolute a whole number is a
             Unix time.
  <path>     /v1/<account>/<container>/<object> (with --prefix-based, the last part is a
             prefix), or a full storage URL such as http://saio:8080/v1/AUTH_account/c/o.
  <key>      The container's or account's Temp-URL-Key.`;

function isDigest(value: string): value is TempUrlDigest {
  return (TEMP_URL_DIGESTS as readonly string[]).includes(value);
}

export function registerTempurl(program: Command, deps: TempurlDeps = {}): Command {
  const now = deps.now ?? (() => Date.now() / 1000);
  return program
    .command("tempurl")
    .description("Create a temporary URL for a Swift object (like `swift tempurl`).")
    .usage("[options] <method> <time> <path> <key>")
    .option("--absolute", "interpret <time> as a Unix timestamp, not seconds from now")
    .option("--prefix-based", "sign for every object under the prefix the path ends with")
    .option("--iso8601", "put an ISO 8601 UTC time in the URL instead of Unix seconds")
    .option("--ip-range <range>", "restrict the URL to this IP address or network")
    .option("--digest <digest>", "sha1, sha256 or sha512", "sha256")
    .argument("[args...]")
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText("after", HELP_AFTER)
    .action(function (this: Command, args: string[], options: TempurlOptions) {
      const digest = options.digest ?? "sha256";
      if (!isDigest(digest)) {
        this.error(
          `error: argument --digest: invalid choice: '${digest}' (choose from 'sha1', 'sha256', 'sha512')`,
          { exitCode: 2, code: "swiftboot.tempurl.usage" },
        );
      }
      if (args.length < 4) this.error(USAGE, { exitCode: 1, code: "swiftboot.tempurl.usage" });
      const [method, time, pathOrUrl, key] = args as [string, string, string, string];
      const write = this.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
      let url: string;
      try {
        const { origin, path } = splitStorageUrl(pathOrUrl);
        const upper = method.toUpperCase();
        if (!(TEMP_URL_METHODS as readonly string[]).includes(upper)) {
          // swift's warning, on stdout like swift's; the signer then refuses the method.
          write(
            `WARNING: Non default HTTP method ${upper} for tempurl specified, possibly an error\n`,
          );
        }
        url =
          origin +
          generateTempUrl(
            path,
            time,
            key,
            method,
            {
              absolute: options.absolute === true,
              prefix: options.prefixBased === true,
              iso8601: options.iso8601 === true,
              ipRange: options.ipRange,
              digest,
            },
            now(),
          );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const code =
          error instanceof TempUrlError ? `swiftboot.tempurl.${error.field}` : "swiftboot.tempurl";
        this.error(message, { exitCode: 1, code });
      }
      write(`${url}\n`);
    });
}
