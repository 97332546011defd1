import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SwiftClient, swiftAuthenticate } from "../../support/swift-client.ts";
import { GUEST_HOST } from "./http.ts";
import { REPO_ROOT } from "./payload.ts";
import { whenThisProcessEnds } from "./tether.ts";

const run = promisify(execFile);

/**
 * The real one-node OpenStack Swift (`scripts/swift-aio.sh`) the e2e tier boots machines from:
 * started once by the global setup in a temporary directory, the payload uploaded to a container
 * with a Temp-URL-Key, stopped in teardown (and on process exit, should teardown never run).
 * Tests read its proxy's access log to see what the guests downloaded and what Swift answered.
 */

const SCRIPT = join(REPO_ROOT, "scripts/swift-aio.sh");

/** What the global setup hands to the test files (`inject("e2eSwift")`). */
export interface E2eSwift {
  /** The swift-aio directory (configs, logs). */
  dir: string;
  /** `http://127.0.0.1:<port>`: the proxy as the host reaches it. */
  proxyUrl: string;
  /** The same proxy as a QEMU guest reaches it: `http://10.0.2.2:<port>`. */
  guestUrl: string;
  /** e.g. `AUTH_test`. */
  account: string;
  container: string;
  /** The container's X-Container-Meta-Temp-URL-Key. */
  tempUrlKey: string;
  /** Object names in `container`, by what they hold. */
  objects: E2eObjects;
  /** The proxy's log: one access line per request (`proxy-logging`). */
  proxyLog: string;
}

export interface E2eObjects {
  deployKernel: string;
  deployRamdisk: string;
  instanceKernel: string;
  instanceRamdisk: string;
}

export const E2E_CONTAINER = "swiftboot-e2e";
export const E2E_OBJECTS: E2eObjects = {
  deployKernel: "deploy/vmlinuz",
  deployRamdisk: "deploy/initrd.gz",
  instanceKernel: "instance/vmlinuz",
  instanceRamdisk: "instance/initrd.gz",
};

function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2].replace(/^"(.*)"$/, "$1"));
  }
  return out;
}

function outputOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const e = error as { message?: string; stdout?: string; stderr?: string };
  return [e.message, e.stdout, e.stderr].filter((s) => s !== undefined && s !== "").join("\n");
}

export interface StartedSwift {
  swift: E2eSwift;
  stop(): Promise<void>;
}

/**
 * Starts swift-aio, creates the container with a Temp-URL-Key and uploads `files` (the local
 * file for each object, which may still be being built while Swift starts). Whatever happens,
 * nothing is left running once `stop` resolved, once this rejects, or once the process exits.
 */
export async function startSwift(
  files: Promise<Record<keyof E2eObjects, string>>,
): Promise<StartedSwift> {
  // Awaited only once Swift runs: keep an early failure from being reported as unhandled.
  files.catch(() => {});
  try {
    await run("bash", [SCRIPT, "check"]);
  } catch (error) {
    throw new Error(
      "The e2e tier boots machines from a local OpenStack Swift, which is not installed here.\n" +
        "Install it with:  bash scripts/swift-aio.sh install  (as root)\n\n" +
        outputOf(error),
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "swiftboot-e2e-swift-"));
  const keep = process.env.SWIFTBOOT_TEST_KEEP_SWIFT === "1";
  let starting: ChildProcess | undefined;
  let stopped = false;

  // For an exit without teardown (the run's time budget, Ctrl-C): synchronous, so it works from
  // the "exit" event. The start script has its own process group: kill it before `stop`, so it
  // cannot start a server after `stop` has looked.
  const stopSync = (): void => {
    if (starting?.pid !== undefined && starting.exitCode === null && starting.signalCode === null) {
      try {
        process.kill(-starting.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (!stopped)
      stopped = spawnSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore" }).status === 0;
    if (stopped) dismissWatcher();
    if (stopped && !keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  // For an end without exit hooks (SIGKILL): stop Swift once this process is gone. Set up
  // before Swift starts, so that no moment is uncovered; a normal stop cancels it.
  const dismissWatcher = whenThisProcessEnds(
    'bash "$0" stop "$1" >/dev/null 2>&1; [ "$2" = 1 ] || rm -rf "$1"',
    [SCRIPT, dir, keep ? "1" : "0"],
  );

  const stop = async (): Promise<void> => {
    if (starting?.pid !== undefined && starting.exitCode === null && starting.signalCode === null) {
      try {
        process.kill(-starting.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (!stopped) {
      try {
        await run("bash", [SCRIPT, "stop", dir], { timeout: 60_000 });
      } catch (error) {
        throw new Error(`bash scripts/swift-aio.sh stop ${dir} failed:\n${outputOf(error)}`);
      }
      stopped = true;
    }
    process.off("exit", stopSync);
    dismissWatcher();
    if (!keep) await rm(dir, { recursive: true, force: true });
  };

  try {
    const child = spawn("bash", [SCRIPT, "start", dir], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    starting = child;
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        output += "\n(timed out after 90 s)";
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      }, 90_000);
      child.once("error", reject);
      child.once("close", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    starting = undefined;
    if (code !== 0) throw new Error(`bash scripts/swift-aio.sh start ${dir} failed:\n${output}`);

    const env = parseEnvFile(await readFile(join(dir, "env"), "utf8"));
    const proxyUrl = env.get("SWIFT_PROXY_URL");
    if (proxyUrl === undefined) throw new Error(`no SWIFT_PROXY_URL in ${dir}/env`);
    const client = new SwiftClient(proxyUrl, await swiftAuthenticate(proxyUrl));
    const tempUrlKey = `e2e-${crypto.randomUUID()}`;
    await client.putContainer(E2E_CONTAINER, { "X-Container-Meta-Temp-URL-Key": tempUrlKey });
    const paths = await files;
    for (const [role, object] of Object.entries(E2E_OBJECTS) as [keyof E2eObjects, string][]) {
      const body = new Uint8Array(await readFile(paths[role]));
      await client.putObject(E2E_CONTAINER, object, body);
    }
    return {
      swift: {
        dir,
        proxyUrl,
        guestUrl: `http://${GUEST_HOST}:${new URL(proxyUrl).port}`,
        account: client.account,
        container: E2E_CONTAINER,
        tempUrlKey,
        objects: E2E_OBJECTS,
        proxyLog: join(dir, "log/proxy-server.log"),
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** One request as the Swift proxy logged it. */
export interface SwiftAccess {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  /** Decoded query (`temp_url_sig` shortened by Swift to 16 characters and `...`). */
  query: string;
  status: number;
  userAgent: string;
  /** Response body bytes sent. */
  bytesSent: number;
  /** Unix seconds (float) when the proxy started and finished the request. */
  start: number;
  end: number;
  line: string;
}

/**
 * The proxy's access lines, in order. Format (proxy-logging, space separated, URL-quoted fields):
 * `proxy-server: <client> <remote> <date> <method> <path?query> <protocol> <status> <referer>
 * <user agent> <token> <bytes in> <bytes out> ... <start time> <end time> <policy>`.
 * Sub-requests Swift makes to itself have user agent `Swift` and are skipped.
 */
export async function readSwiftAccessLog(swift: E2eSwift): Promise<SwiftAccess[]> {
  const text = await readFile(swift.proxyLog, "utf8");
  const out: SwiftAccess[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f[0] !== "proxy-server:" || f.length < 20 || !/^\d{3}$/.test(f[7] ?? "")) continue;
    const userAgent = decodeURIComponent(f[9] ?? "");
    if (userAgent === "Swift") continue;
    const target = decodeURIComponent(f[5] ?? "");
    const q = target.indexOf("?");
    out.push({
      method: f[4] ?? "",
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? "" : target.slice(q + 1),
      status: Number(f[7]),
      userAgent,
      bytesSent: Number(f[12]),
      start: Number(f.at(-3)),
      end: Number(f.at(-2)),
      line,
    });
  }
  return out;
}

/** `/v1/<account>/<container>/<object>`: what a temp URL signs and the access log shows. */
export function objectPath(swift: E2eSwift, object: string): string {
  return `/v1/${swift.account}/${swift.container}/${object}`;
}
