import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * `tsx functions/local/server.ts` as a child process, the way an operator runs it, with a clean
 * environment: no SWIFTBOOT_* variable of the parent's leaks in (the test runner's own
 * SWIFTBOOT_TEST_* variables would be refused as unknown options).
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

export interface SpawnedServer {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function cleanEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("SWIFTBOOT_")) base[name] = value;
  }
  return { ...base, ...env };
}

export function spawnServer(env: Record<string, string>, limitMs = 60_000): SpawnedServer {
  const child = spawn(TSX, ["functions/local/server.ts"], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: tsx's node child goes with it
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // gone already
    }
  };
  const limit = setTimeout(() => killGroup("SIGKILL"), limitMs);
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(limit);
      process.removeListener("exit", onExit);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      killGroup("SIGTERM");
      const force = setTimeout(() => killGroup("SIGKILL"), 5_000);
      const result = await exited;
      clearTimeout(force);
      return result;
    },
  };
}

/** Waits for the `"msg":"listening"` log line and returns the URL it names. */
export async function waitForListening(server: SpawnedServer, timeoutMs = 30_000): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    for (const line of server.stdout().split("\n")) {
      if (!line.includes('"msg":"listening"')) continue;
      const url = (JSON.parse(line) as { url?: string }).url;
      if (url !== undefined) return url;
    }
    if (server.child.exitCode !== null) {
      throw new Error(
        `server exited with ${server.child.exitCode}:\n${server.stderr()}\n${server.stdout()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not listen within ${timeoutMs} ms:\n${server.stderr()}`);
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
