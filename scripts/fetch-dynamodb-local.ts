/**
 * Fetches DynamoDB Local (the official jar) into `.cache/dynamodb-local/`.
 *
 * The jar ships inside the npm package `amplify-dynamodb-simulator`, but installing that package
 * pulls about 280 dependencies. `npm pack` downloads only its tarball (integrity-checked by npm),
 * from which we unpack `package/emulator/` and nothing else.
 *
 * Usage: `tsx scripts/fetch-dynamodb-local.ts` (idempotent: does nothing when the jar is present).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const SIMULATOR_PACKAGE = "amplify-dynamodb-simulator@2.9.30";
/** SHA-256 of `DynamoDBLocal.jar` (1.25.1) in that package version: a pinned version, a pinned jar. */
const JAR_SHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7";

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_EMULATOR_DIR = join(PROJECT_ROOT, ".cache", "dynamodb-local");

export class FetchDynamoDbLocalError extends Error {
  override name = "FetchDynamoDbLocalError";
}

/** Where the jar lives inside an emulator directory. */
export function jarPath(emulatorDir: string): string {
  return join(emulatorDir, "DynamoDBLocal.jar");
}

/**
 * Makes sure `<emulatorDir>/DynamoDBLocal.jar` exists, downloading it if needed.
 * Safe to call from concurrent processes: each unpacks into its own staging directory and the
 * first to finish renames it into place.
 */
export async function ensureDynamoDbLocal(emulatorDir = DEFAULT_EMULATOR_DIR): Promise<string> {
  if (existsSync(jarPath(emulatorDir))) return emulatorDir;

  const parent = dirname(emulatorDir);
  await mkdir(parent, { recursive: true });
  // Staging beside the target (same filesystem) so the final rename is atomic.
  const staging = await mkdtemp(join(parent, ".dynamodb-local-staging-"));
  const download = await mkdtemp(join(tmpdir(), "swiftboot-ddb-pack-"));
  try {
    const tarball = await npmPack(download);
    await run(
      "tar",
      ["-xzf", tarball, "-C", staging, "--strip-components=2", "package/emulator"],
      "unpacking the emulator (is `tar` installed?)",
    );
    const digest = await sha256File(jarPath(staging));
    if (digest !== JAR_SHA256) {
      throw new FetchDynamoDbLocalError(
        `DynamoDBLocal.jar from ${SIMULATOR_PACKAGE} has SHA-256 ${digest}, expected ${JAR_SHA256}`,
      );
    }
    if (existsSync(jarPath(emulatorDir))) return emulatorDir; // another process won the race
    // A leftover directory without the jar is a broken earlier attempt.
    await rm(emulatorDir, { recursive: true, force: true });
    try {
      await rename(staging, emulatorDir);
    } catch (error) {
      if (!existsSync(jarPath(emulatorDir))) throw error;
    }
    return emulatorDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(download, { recursive: true, force: true });
  }
}

async function npmPack(destination: string): Promise<string> {
  const stdout = await run(
    "npm",
    ["pack", SIMULATOR_PACKAGE, "--json", "--silent", "--pack-destination", destination],
    `downloading ${SIMULATOR_PACKAGE} with npm pack (is the npm registry reachable?)`,
    destination,
  );
  const files = await readdir(destination);
  const tarball = files.find((f) => f.endsWith(".tgz"));
  if (tarball === undefined) {
    throw new FetchDynamoDbLocalError(
      `npm pack ${SIMULATOR_PACKAGE} produced no tarball; its output was: ${stdout.slice(0, 500)}`,
    );
  }
  return join(destination, tarball);
}

function run(command: string, args: string[], what: string, cwd?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolvePromise(stdout);
        return;
      }
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      const detail = missing
        ? `\`${command}\` was not found on PATH`
        : `${command} exited with ${error.code ?? error.signal}: ${(stderr || stdout).trim().slice(-1500)}`;
      reject(new FetchDynamoDbLocalError(`Failed ${what}: ${detail}`, { cause: error }));
    });
  });
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("error", (error) =>
        reject(
          new FetchDynamoDbLocalError(`${path} is missing from the unpacked package`, {
            cause: error,
          }),
        ),
      )
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolvePromise(hash.digest("hex")));
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const already = existsSync(jarPath(DEFAULT_EMULATOR_DIR));
  ensureDynamoDbLocal()
    .then((dir) => {
      const ms = Math.round(performance.now() - started);
      console.log(
        already ? `DynamoDB Local already in ${dir}` : `DynamoDB Local in ${dir} (${ms} ms)`,
      );
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
