/**
 * Vitest global setup for the integration project: one OpenStack Swift for every test file.
 *
 * - Default: starts a one-node Swift from Debian's packages with `scripts/swift-aio.sh start`
 *   in a fresh temporary directory and stops it in teardown (also when this setup fails half way,
 *   and on process exit if teardown never ran). Needs root and the packages; when they are
 *   missing the run fails with the command that installs them. It never skips.
 * - `SWIFTBOOT_TEST_SWIFT_URL=http://host:port`: use that Swift proxy instead (tempauth with
 *   `SWIFTBOOT_TEST_SWIFT_USER` / `SWIFTBOOT_TEST_SWIFT_KEY`, default test:tester / testing).
 * - `SWIFTBOOT_TEST_KEEP_SWIFT=1`: keep the temporary directory (configs, logs) after the run.
 *
 * Test files read the endpoint with `inject("swiftStorageUrl")` etc., or through
 * `test/support/swift-client.ts`.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { type SwiftAuth, swiftAuthenticate } from "../support/swift-client.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Proxy base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
    swiftProxyUrl: string;
    /** Storage URL of the test account from tempauth, e.g. http://127.0.0.1:41234/v1/AUTH_test. */
    swiftStorageUrl: string;
    /** X-Auth-Token for swiftStorageUrl (test:tester, an .admin of the account). */
    swiftAuthToken: string;
    /** Account path segment, e.g. AUTH_test. */
    swiftAccount: string;
  }
}

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/swift-aio.sh", import.meta.url));
const INSTALL_HINT = "bash scripts/swift-aio.sh install";

function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2].replace(/^"(.*)"$/, "$1"));
  }
  return out;
}

function outputOf(err: unknown): string {
  if (typeof err !== "object" || err === null) return String(err);
  const e = err as { message?: string; stdout?: string; stderr?: string };
  return [e.message, e.stdout, e.stderr].filter((s) => s !== undefined && s !== "").join("\n");
}

async function assertInstalled(): Promise<void> {
  try {
    await run("bash", [SCRIPT, "check"]);
  } catch (err) {
    throw new Error(
      `The Swift integration tests need a local OpenStack Swift (Debian's swift packages), ` +
        `and it is not installed on this machine.\nSet it up with:  ${INSTALL_HINT}  ` +
        `(as root), then run the tests again.\nOr point the tests at a running Swift with ` +
        `SWIFTBOOT_TEST_SWIFT_URL=http://host:port.\n\n${outputOf(err)}`,
    );
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const provide = (auth: SwiftAuth, proxyUrl: string): void => {
    project.provide("swiftProxyUrl", proxyUrl);
    project.provide("swiftStorageUrl", auth.storageUrl);
    project.provide("swiftAuthToken", auth.token);
    project.provide("swiftAccount", auth.account);
  };

  const external = process.env.SWIFTBOOT_TEST_SWIFT_URL;
  if (external !== undefined && external !== "") {
    const proxyUrl = external.replace(/\/+$/, "");
    const auth = await swiftAuthenticate(
      proxyUrl,
      process.env.SWIFTBOOT_TEST_SWIFT_USER ?? "test:tester",
      process.env.SWIFTBOOT_TEST_SWIFT_KEY ?? "testing",
    );
    provide(auth, proxyUrl);
    return async () => {};
  }

  await assertInstalled();
  const dir = await mkdtemp(join(tmpdir(), "swiftboot-swift-"));
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    spawnSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore" });
  };
  // Safety net for runs that end without teardown (e.g. the process is told to exit).
  process.once("exit", stopSync);

  const teardown = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", stopSync);
    try {
      await run("bash", [SCRIPT, "stop", dir]);
    } catch (err) {
      throw new Error(`swift-aio.sh stop ${dir} failed:\n${outputOf(err)}`);
    }
    if (process.env.SWIFTBOOT_TEST_KEEP_SWIFT !== "1") {
      await rm(dir, { recursive: true, force: true });
    }
  };

  try {
    const started = Date.now();
    try {
      await run("bash", [SCRIPT, "start", dir], { timeout: 90_000 });
    } catch (err) {
      throw new Error(`bash scripts/swift-aio.sh start ${dir} failed:\n${outputOf(err)}`);
    }
    const env = parseEnvFile(await readFile(join(dir, "env"), "utf8"));
    const proxyUrl = env.get("SWIFT_PROXY_URL");
    if (proxyUrl === undefined) throw new Error(`no SWIFT_PROXY_URL in ${dir}/env`);
    const auth = await swiftAuthenticate(proxyUrl);
    provide(auth, proxyUrl);
    console.log(
      `swift: ${auth.storageUrl} ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${dir})`,
    );
  } catch (err) {
    await teardown().catch(() => {});
    throw err;
  }
  return teardown;
}
