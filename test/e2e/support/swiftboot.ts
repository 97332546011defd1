import { type ChildProcess, execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { GUEST_HOST } from "./http.ts";
import { REPO_ROOT } from "./payload.ts";
import { spawnTethered, whenThisProcessEnds } from "./tether.ts";

const run = promisify(execFile);

/**
 * swiftboot's local server (`tsx functions/local/server.ts`, what `npm start` runs) as a child
 * process, configured only through `SWIFTBOOT_*` variables, with its own data directory (and so
 * its own DynamoDB Local). Records go in through the CLI (`bin/swiftboot.mjs import`), which
 * finds the running server's DynamoDB Local through that data directory.
 */

export type LogLine = Record<string, unknown> & { msg?: string };

export interface Swiftboot {
  /** `http://127.0.0.1:<port>`, as the server reported it. */
  url: string;
  port: number;
  /** `SWIFTBOOT_LOCAL_DATA_DIR`: a temporary directory, removed by `stop`. */
  dataDir: string;
  /** A URL for `path` as a QEMU guest reaches the server. */
  guestUrl(path: string): string;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** Everything else the server printed (banner, stderr). */
  output: string[];
  /** Imports `{ images, nodes }` with `swiftboot import`; rejects if any record failed. */
  importRecords(doc: { images?: unknown[]; nodes?: unknown[] }): Promise<string>;
  stop(): Promise<void>;
}

export interface SwiftbootOptions {
  /** `SWIFTBOOT_*` settings (group_option in upper case), e.g. `{ IPXE_USE_SWIFT: "true" }`. */
  settings: Record<string, string>;
  startTimeoutMs?: number;
}

const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");
const CLI = join(REPO_ROOT, "bin/swiftboot.mjs");

/** The parent's environment without any SWIFTBOOT_* (an unknown one would stop the server). */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("SWIFTBOOT_")) env[key] = value;
  }
  return env;
}

export async function startSwiftboot(opts: SwiftbootOptions): Promise<Swiftboot> {
  const dataDir = await mkdtemp(join(tmpdir(), "swiftboot-e2e-data-"));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    SWIFTBOOT_SERVER_HOST: "127.0.0.1",
    SWIFTBOOT_SERVER_PORT: "0",
    SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
  };
  for (const [key, value] of Object.entries(opts.settings)) env[`SWIFTBOOT_${key}`] = value;

  // Tethered: gone with this process, however it ends (the server's DynamoDB Local is tethered
  // to the server in turn).
  const child: ChildProcess = spawnTethered(TSX, ["functions/local/server.ts"], {
    cwd: REPO_ROOT,
    env,
  });
  const logs: LogLine[] = [];
  const output: string[] = [];
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || exited) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // gone
    }
  };
  // The tether stops the server if this process is SIGKILLed; this removes its data directory
  // then (after a moment, for the server's DynamoDB Local to go too).
  const dismissCleanup = whenThisProcessEnds('sleep 2; rm -rf "$0"', [dataDir]);
  const onExit = () => {
    killGroup("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    dismissCleanup();
  };
  process.once("exit", onExit);

  const stop = async () => {
    process.off("exit", onExit);
    if (!exited) {
      // SIGTERM lets the server stop its DynamoDB Local; anything left goes with the group.
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), 10_000);
      await exitedPromise;
      clearTimeout(timer);
      killGroup("SIGKILL");
    }
    await rm(dataDir, { recursive: true, force: true });
    dismissCleanup();
  };

  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`swiftboot did not report listening within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (child.stdout === null || child.stderr === null) throw new Error("no stdio pipes");
    createInterface({ input: child.stdout }).on("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        output.push(line);
        return;
      }
      if (typeof parsed !== "object" || parsed === null) return void output.push(line);
      const entry = parsed as LogLine;
      logs.push(entry);
      if (entry.msg === "listening" && typeof entry.url === "string") {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`swiftboot exited (${signal ?? code}) before listening`));
    });
  });

  let url: string;
  try {
    url = await listening;
  } catch (error) {
    await stop();
    throw new Error(
      `${(error as Error).message}\n${[...output, ...logs.map((l) => JSON.stringify(l))].join("\n")}`,
    );
  }
  const port = Number(new URL(url).port);

  return {
    url,
    port,
    dataDir,
    guestUrl: (path) => `http://${GUEST_HOST}:${port}${path}`,
    logs,
    output,
    importRecords: async (doc) => {
      const file = join(dataDir, `import-${Date.now()}.json`);
      await writeFile(file, JSON.stringify(doc));
      try {
        const { stdout } = await run(process.execPath, [CLI, "import", file], {
          cwd: REPO_ROOT,
          env,
          timeout: 60_000,
        });
        return stdout;
      } catch (error) {
        const e = error as Error & { stdout?: string; stderr?: string };
        throw new Error(
          `swiftboot import failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`,
        );
      }
    },
    stop,
  };
}

/** The server's request log lines for one path prefix (`/boot/52-54-00-...`). */
export function requestLogs(sb: Swiftboot, pathPrefix: string): LogLine[] {
  return sb.logs.filter(
    (l) => l.msg === "request" && typeof l.path === "string" && l.path.startsWith(pathPrefix),
  );
}
