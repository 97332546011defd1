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
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
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

/** Waits for a child; kills its process group (it was started detached) after `timeoutMs`. */
function finished(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${timeoutMs / 1000}s)`;
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
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
  const keep = process.env.SWIFTBOOT_TEST_KEEP_SWIFT === "1";
  let starting: ChildProcess | undefined;
  let stopped = false;

  // Safety net for runs that end without teardown (Ctrl-C, process.exit): synchronous, so it
  // works from the "exit" event. The start script runs in its own process group: kill that
  // group first so it cannot start anything after `stop` has run.
  const cleanupSync = (): void => {
    if (starting?.pid !== undefined && starting.exitCode === null && starting.signalCode === null) {
      try {
        process.kill(-starting.pid, "SIGKILL");
      } catch {}
    }
    if (!stopped) {
      stopped = spawnSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore" }).status === 0;
    }
    if (stopped && !keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanupSync);

  const teardown = async (): Promise<void> => {
    if (!stopped) {
      try {
        await run("bash", [SCRIPT, "stop", dir]);
      } catch (err) {
        throw new Error(`swift-aio.sh stop ${dir} failed:\n${outputOf(err)}`);
      }
      stopped = true;
    }
    if (!keep) await rm(dir, { recursive: true, force: true });
    process.removeListener("exit", cleanupSync);
  };

  try {
    const started = Date.now();
    const child = spawn("bash", [SCRIPT, "start", dir], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    starting = child;
    const result = await finished(child, 90_000);
    starting = undefined;
    if (result.code !== 0) {
      throw new Error(
        `bash scripts/swift-aio.sh start ${dir} failed (${result.code ?? result.signal}):\n` +
          `${result.stdout}\n${result.stderr}`,
      );
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
