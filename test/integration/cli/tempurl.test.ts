/**
 * `swiftboot tempurl` against python-swiftclient's `swift tempurl` (Debian's python3-swiftclient,
 * run through test/support/python-tempurl.py with the clock pinned): same stdout, exit code and,
 * where it makes sense, stderr.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { registerTempurl } from "../../../functions/cli/commands/tempurl.ts";

const PYTHON = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("../../support/python-tempurl.py", import.meta.url));
const NOW = 1700000000.25;
const PATH = "/v1/AUTH_test/images/ipa/deploy.kernel";
const KEY = "s3cret";
const zone = process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

interface Outcome {
  code: number;
  out: string;
  err: string;
}

function swiftTempurl(args: string[]): Outcome {
  if (!existsSync(PYTHON)) {
    throw new Error(`${PYTHON} not found; apt-get install python3-swiftclient`);
  }
  const run = spawnSync(PYTHON, [HELPER, "cli", String(NOW), "tempurl", ...args], {
    encoding: "utf8",
    env: { ...process.env, TZ: zone },
  });
  if (run.stdout.startsWith('{"fatal"')) {
    throw new Error(`python3-swiftclient is required: apt-get install python3-swiftclient`);
  }
  return { code: run.status ?? -1, out: run.stdout, err: run.stderr };
}

function swiftbootTempurl(args: string[]): Outcome {
  let out = "";
  let err = "";
  const program = new Command("swiftboot")
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerTempurl(program, { now: () => NOW });
  let code = 0;
  try {
    program.parse(["tempurl", ...args], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = error.exitCode;
  }
  return { code, out, err };
}

describe("same output as swift tempurl", () => {
  it.each<string[]>([
    ["GET", "60", PATH, KEY],
    ["--absolute", "PUT", "1700000000", PATH, KEY],
    ["GET", "2h", PATH, KEY],
    ["GET", "1.5m", PATH, KEY],
    ["--iso8601", "GET", "3600", PATH, KEY],
    ["--digest", "sha1", "HEAD", "60", PATH, KEY],
    ["--digest=sha512", "--absolute", "DELETE", "1", PATH, KEY],
    ["--prefix-based", "GET", "60", "/v1/AUTH_test/images/ipa/", KEY],
    ["--prefix-based", "--iso8601", "GET", "60", "/v1/AUTH_test/images/", KEY],
    ["--ip-range", "10.0.0.0/8", "GET", "60", PATH, KEY],
    ["--ip-range=2001:db8::/32", "--digest", "sha512", "GET", "60", PATH, KEY],
    ["GET", "2030-01-02T03:04:05Z", PATH, KEY],
    ["--iso8601", "GET", "2030-01-02", PATH, KEY],
    ["post", "60", "http://saio:8080/v1/AUTH_test/c/o;params?query#fragment", KEY],
    ["GET", "60", PATH, KEY, "extra", "args"],
    ["GET", "1700000000", PATH, KEY, "--absolute"],
    ["GET", "60", "/v1/AUTH_test/c/ü space+%.img", "kéy"],
    // errors
    ["GET", "1.5", PATH, KEY],
    ["GET", "soon", PATH, KEY],
    ["--absolute", "GET", "5m", PATH, KEY],
    ["GET", "-1", PATH, KEY],
    ["GET", "60", "/v1/AUTH_test/images", KEY],
    ["--prefix-based", "GET", "60", "/v1/AUTH_test", KEY],
    ["--foo", "GET", "60", PATH, KEY],
  ])("%j", (...args) => {
    const theirs = swiftTempurl(args);
    const ours = swiftbootTempurl(args);
    expect(ours).toEqual(theirs);
  });
});

describe("argument errors", () => {
  it("too few arguments: usage on stderr, exit 1", () => {
    const args = ["GET", "60", PATH];
    const theirs = swiftTempurl(args);
    const ours = swiftbootTempurl(args);
    expect([ours.code, ours.out]).toEqual([theirs.code, theirs.out]);
    expect(theirs.err).toMatch(/^Usage: swift tempurl /);
    expect(ours.err).toMatch(/^Usage: swiftboot tempurl .*\n.*<method> <time> <path> <key>\n$/);
  });

  it("unknown digest: argparse's message, exit 2", () => {
    const args = ["--digest", "md5", "GET", "60", PATH, KEY];
    const theirs = swiftTempurl(args);
    const ours = swiftbootTempurl(args);
    expect([ours.code, ours.out]).toEqual([theirs.code, theirs.out]);
    const message =
      "argument --digest: invalid choice: 'md5' (choose from 'sha1', 'sha256', 'sha512')";
    expect(theirs.err).toContain(message);
    expect(ours.err).toBe(`error: ${message}\n`);
  });
});

describe("stricter than swift tempurl, which signs URLs Swift will refuse", () => {
  it.each<[string[], RegExp]>([
    [["FOO", "60", PATH, KEY], /^method must be one of GET, HEAD, PUT, POST, DELETE, got "FOO"\n$/],
    [["--ip-range", "1.2.3.4/24", "GET", "60", PATH, KEY], /has host bits set/],
    [["--ip-range", "1.2.3", "GET", "60", PATH, KEY], /not an IPv4 or IPv6 address or network/],
    [["GET", "-5m", PATH, KEY], /^seconds must not be negative, got -5m\n$/],
    [["GET", "60", PATH, ""], /^key must be a non-empty string\n$/],
    [["GET", "60", "/v2/AUTH_test/c/o", KEY], /must start with \/v1\//],
  ])("%j", (args, message) => {
    const theirs = swiftTempurl(args);
    expect(theirs.code).toBe(0);
    const ours = swiftbootTempurl(args);
    expect(ours.code).toBe(1);
    // swift's warning for an unknown method comes first in both; the URL only from swift.
    const warning = theirs.out.startsWith("WARNING") ? `${theirs.out.split("\n")[0]}\n` : "";
    expect(ours.out).toBe(warning);
    expect(ours.err).toMatch(message);
    expect(ours.err).not.toContain(KEY);
  });
});
