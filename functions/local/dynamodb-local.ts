/**
 * Runs DynamoDB Local (the official jar, on the machine's Java) for `npm start` and the tests.
 *
 * Orphans are the main hazard: a JVM left behind keeps its port and ~220 MB. Three layers stop it:
 * - `stop()` signals the whole process group (the launcher shell, the JVM and the watchdog);
 * - an `exit` handler does the same when the parent exits without calling `stop()`;
 * - a watchdog inside the launcher shell holds the read end of a pipe whose only writer is this
 *   process. When this process dies in any way (even SIGKILL), the pipe reaches EOF and the
 *   watchdog kills the JVM.
 *
 * DynamoDB Local has no bind-address option: it listens on all interfaces (0.0.0.0), so on a
 * shared network other hosts can reach it while it runs. Its data is only local demo/test data,
 * but a firewall rule is the fix where that matters.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import {
  DEFAULT_EMULATOR_DIR,
  ensureDynamoDbLocal,
  jarPath,
} from "../../scripts/fetch-dynamodb-local.ts";

export interface DynamoDbLocalOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Directory for a persistent database; undefined runs in memory. */
  dbPath?: string;
  /** How long to wait for the first answer (default 60 s: a cold JVM on a busy machine). */
  startTimeoutMs?: number;
  /** Where the jar is, or goes (default `.cache/dynamodb-local/`). */
  emulatorDir?: string;
}

export interface DynamoDbLocal {
  endpoint: string;
  /** Milliseconds from spawning the JVM to its first answer. */
  startupMs: number;
  stop(): Promise<void>;
}

export class DynamoDbLocalError extends Error {
  override name = "DynamoDbLocalError";
}

const JAVA_MISSING =
  "DynamoDB Local needs Java 17 or newer, and `java` was not found (PATH, or JAVA_HOME/bin). " +
  "Install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`), or point swiftboot at " +
  "a running DynamoDB with SWIFTBOOT_STORE_ENDPOINT (tests: SWIFTBOOT_TEST_DYNAMODB_ENDPOINT).";

/**
 * Launcher: starts the JVM in the background, and a watchdog that waits for EOF on fd 3 (a dup of
 * our stdin, because POSIX sh gives background jobs /dev/null as stdin) and then kills the JVM.
 */
const LAUNCHER = `
exec 3<&0
"$@" </dev/null &
jvm=$!
( cat <&3 >/dev/null; kill $jvm 2>/dev/null ) &
trap 'kill $jvm 2>/dev/null' TERM INT HUP
wait $jvm
`;

export async function startDynamoDbLocal(
  options: DynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> {
  const emulatorDir = await ensureDynamoDbLocal(options.emulatorDir ?? DEFAULT_EMULATOR_DIR);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const storage =
    options.dbPath === undefined
      ? ["-inMemory"]
      : ["-dbPath", ensureDir(resolve(options.dbPath)), "-sharedDb"];
  const javaArgs = [
    `-Djava.library.path=${join(emulatorDir, "DynamoDBLocal_lib")}`,
    "-jar",
    jarPath(emulatorDir),
    "-port",
    String(port),
    "-disableTelemetry", // no network here, and nothing to report
    ...storage,
  ];

  const started = performance.now();
  const child = spawn("sh", ["-c", LAUNCHER, "dynamodb-local", javaBinary(), ...javaArgs], {
    cwd: emulatorDir,
    detached: true, // own process group, so stop() can signal all of it at once
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = captureTail(child);
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onParentExit = () => killGroup("SIGKILL");
  process.once("exit", onParentExit);
  // Neither the pipes nor the child should keep the parent's event loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, output, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    killGroup("SIGKILL");
    process.removeListener("exit", onParentExit);
    throw error;
  }
  const startupMs = Math.round(performance.now() - started);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      killGroup("SIGTERM");
      const forced = setTimeout(() => killGroup("SIGKILL"), 5_000);
      await exited;
      clearTimeout(forced);
      // The JVM may still be in its shutdown hooks after the shell exited: make sure.
      killGroup("SIGKILL");
      process.removeListener("exit", onParentExit);
    })();
    return stopping;
  };
  return { endpoint, startupMs, stop };
}

function javaBinary(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, "bin", "java") : "java";
}

function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The last few KB of the process's output, for error messages. */
function captureTail(child: ChildProcess): () => string {
  let tail = "";
  const append = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return () => tail.trim();
}

/** Polls with a real (unsigned-but-plausible) ListTables request until DynamoDB Local answers. */
async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  child.once("exit", (code, signal) => {
    exit = `exited with ${code ?? signal}`;
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  while (Date.now() < deadline) {
    if (spawnError) throw new DynamoDbLocalError(`cannot start sh: ${spawnError.message}`);
    if (exit !== undefined) throw startFailure(exit, output());
    // A failed start does not always end the JVM: a bind failure leaves it running, idle.
    if (/Exception in thread "main"/.test(output())) throw startFailure("failed", output());
    if (await answers(endpoint)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DynamoDbLocalError(
    `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms. Output:\n${output()}`,
  );
}

function startFailure(exit: string, output: string): DynamoDbLocalError {
  // sh reports a missing command with status 127 and "not found".
  if (/not found|No such file/i.test(output) && /java/.test(output)) {
    return new DynamoDbLocalError(JAVA_MISSING);
  }
  if (/UnsupportedClassVersionError/.test(output)) {
    return new DynamoDbLocalError(`${JAVA_MISSING}\nThe installed Java is too old:\n${output}`);
  }
  return new DynamoDbLocalError(`DynamoDB Local ${exit} before answering. Output:\n${output}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
        // DynamoDB Local checks that a signature is present, not that it is valid.
        authorization:
          "AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "{}",
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

if (
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === new URL(import.meta.url).pathname
) {
  // `tsx functions/local/dynamodb-local.ts`: start one, report timings, stop it.
  try {
    const local = await startDynamoDbLocal();
    console.log(`DynamoDB Local answered on ${local.endpoint} after ${local.startupMs} ms`);
    await local.stop();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
