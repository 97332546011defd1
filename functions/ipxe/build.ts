import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import {
  chainUrlProblem,
  embeddedScript,
  findChainUrlSlots,
} from "../../shared/ipxe-binaries/slot.ts";
import {
  IPXE_TARGETS,
  type IpxeManifest,
  type IpxeManifestEntry,
  type IpxePlatform,
  type IpxeTarget,
} from "../../shared/ipxe-binaries/targets.ts";

/** Upstream's release this builder is written and tested against. */
export const IPXE_VERSION = "2.0.0";
export const IPXE_RELEASE_URL = `https://github.com/ipxe/ipxe/archive/refs/tags/v${IPXE_VERSION}.tar.gz`;

/**
 * The build timestamp iPXE embeds (SOURCE_DATE_EPOCH): the v2.0.0 release day, so the same
 * inputs give the same bytes on any machine and any day.
 */
export const DEFAULT_SOURCE_DATE_EPOCH = 1772755200;

/**
 * iPXE's compile-time options on top of upstream's defaults. HTTPS is on for EFI upstream but not
 * for BIOS builds; swiftboot wants it everywhere.
 */
export const LOCAL_GENERAL_H = `/* swiftboot: HTTPS on every platform (upstream enables it for EFI only) */
#define DOWNLOAD_PROTO_HTTPS
`;

export class IpxeBuildError extends Error {
  override name = "IpxeBuildError";
}

export type IpxeBuildOptions = {
  /** A release tarball (.tar.gz, top folder ipxe-<v>/) or an unpacked source tree (with src/). */
  source: string;
  /** PEM files of the CAs the binaries trust; empty: iPXE's own root with cross-signing. */
  trust: string[];
  /** Built into the BIOS binaries (which cannot be patched later); without it they are skipped. */
  chainUrl?: string | undefined;
  /** Where builds are cached by input hash (`.cache/ipxe`). */
  cacheDir: string;
  jobs?: number;
  sourceDateEpoch?: number;
  /** Progress lines (make's output goes to a log file in the build folder). */
  log?: (line: string) => void;
};

export type IpxeBuildResult = {
  /** The folder holding the binaries and manifest.json. */
  dir: string;
  manifest: IpxeManifest;
  /** True when the cache already had this build. */
  cached: boolean;
};

const sha256 = (data: Uint8Array | string): string =>
  createHash("sha256").update(data).digest("hex");

/** A source tree's hash: every file's relative path and bytes, in sorted order. */
async function treeHash(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        // Build outputs in an operator's tree are not inputs.
        if (entry.name.startsWith("bin") && folder.endsWith("src")) continue;
        if (entry.name === ".git") continue;
        await walk(path);
      } else if (entry.isFile()) {
        hash.update(`${relative(dir, path)}\0`);
        hash.update(await readFile(path));
        hash.update("\0");
      }
    }
  };
  await walk(dir);
  return hash.digest("hex");
}

function run(command: string, args: string[], cwd: string, logFile?: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (error) =>
      fail(new IpxeBuildError(`cannot run ${command}: ${error.message}`)),
    );
    child.on("close", async (code) => {
      const output = Buffer.concat(chunks).toString("utf8");
      if (logFile !== undefined) await writeFile(logFile, output).catch(() => undefined);
      if (code === 0) return done(output);
      const tail = output.trimEnd().split("\n").slice(-25).join("\n");
      fail(new IpxeBuildError(`${command} ${args[0] ?? ""} failed (exit ${code}):\n${tail}`));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function sourceInfo(source: string): Promise<{ kind: "tarball" | "tree"; sha256: string }> {
  const info = await stat(source).catch(() => {
    throw new IpxeBuildError(`--source ${source} does not exist`);
  });
  if (info.isDirectory()) {
    if (!(await exists(join(source, "src", "Makefile")))) {
      throw new IpxeBuildError(`--source ${source} is not an iPXE tree (no src/Makefile)`);
    }
    return { kind: "tree", sha256: await treeHash(source) };
  }
  return { kind: "tarball", sha256: sha256(await readFile(source)) };
}

/** Reads the operator's trust PEMs, refusing anything that is not a certificate. */
async function readTrust(paths: string[]): Promise<{ name: string; pem: string }[]> {
  const trust: { name: string; pem: string }[] = [];
  for (const path of paths) {
    const pem = await readFile(path, "utf8").catch((error: Error) => {
      throw new IpxeBuildError(`--trust ${path}: ${error.message}`);
    });
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new IpxeBuildError(`--trust ${path} holds no PEM certificate`);
    }
    if (pem.includes("PRIVATE KEY-----")) {
      throw new IpxeBuildError(`--trust ${path} holds a private key; give the CA certificate only`);
    }
    trust.push({ name: path.split("/").pop() ?? path, pem });
  }
  return trust;
}

/** What the work folder is called inside the binaries' inputs, wherever it really is. */
const WORK_PREFIX = "/swiftboot-ipxe";

function makeArgs(
  targets: IpxeTarget[],
  work: string,
  embed: string,
  trustFiles: string[],
  jobs: number,
  epoch: number,
): string[] {
  const args = [
    `-j${jobs}`,
    ...targets.map((target) => target.makeTarget),
    `EMBED=${embed}`,
    // The objects' debug info names their folder, and iPXE's build id is a checksum of the
    // objects: without this, the same inputs built in two folders give different bytes.
    `EXTRA_CFLAGS=-ffile-prefix-map=${work}=${WORK_PREFIX}`,
  ];
  if (trustFiles.length > 0) {
    const list = trustFiles.join(",");
    // TRUST= limits which roots are trusted; CERT= carries the CA itself, so a server that sends
    // only its own certificate still completes a chain.
    args.push(`TRUST=${list}`, `CERT=${list}`);
  }
  args.push(`SOURCE_DATE_EPOCH=${epoch}`);
  return args;
}

/**
 * Builds swiftboot's iPXE binaries, or returns the cached build for the same inputs. One make per
 * platform builds all of that platform's targets; the work folder is removed afterwards.
 */
export async function buildIpxe(options: IpxeBuildOptions): Promise<IpxeBuildResult> {
  const log = options.log ?? (() => undefined);
  if (options.chainUrl !== undefined) {
    const problem = chainUrlProblem(options.chainUrl);
    if (problem !== undefined) {
      throw new IpxeBuildError(`--chain-url ${options.chainUrl}: the URL ${problem}`);
    }
  }
  const source = await sourceInfo(options.source);
  const trust = await readTrust(options.trust);
  const epoch = options.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH;
  const platforms: { platform: IpxePlatform; script: string }[] = [
    { platform: "efi", script: embeddedScript() },
  ];
  if (options.chainUrl !== undefined) {
    platforms.push({ platform: "bios", script: embeddedScript(options.chainUrl) });
  }
  const inputs = sha256(
    JSON.stringify({
      // Raised whenever the build procedure changes what comes out.
      builder: 2,
      source: source.sha256,
      config: LOCAL_GENERAL_H,
      scripts: platforms,
      trust: trust.map((t) => sha256(t.pem)),
      epoch,
    }),
  );
  const dir = resolve(options.cacheDir, inputs.slice(0, 32));
  const manifestPath = join(dir, "manifest.json");
  if (await exists(manifestPath)) {
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as IpxeManifest;
    if (manifest.inputs === inputs) return { dir, manifest, cached: true };
  }

  const work = resolve(options.cacheDir, `work-${inputs.slice(0, 32)}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const tree = join(work, "ipxe");
    await mkdir(tree);
    if (source.kind === "tarball") {
      await run("tar", ["-xzf", resolve(options.source), "--strip-components=1", "-C", tree], work);
    } else {
      await run("cp", ["-a", `${resolve(options.source)}/.`, tree], work);
    }
    const src = join(tree, "src");
    if (!(await exists(join(src, "Makefile")))) {
      throw new IpxeBuildError(
        `${options.source} does not unpack to an iPXE tree (no src/Makefile)`,
      );
    }
    await mkdir(join(src, "config", "local"), { recursive: true });
    await writeFile(join(src, "config", "local", "general.h"), LOCAL_GENERAL_H);
    const trustFiles: string[] = [];
    for (const [i, t] of trust.entries()) {
      const file = join(work, `trust-${i}.pem`);
      await writeFile(file, t.pem);
      trustFiles.push(file);
    }
    const jobs = options.jobs ?? 2;
    const out = `${dir}.partial`;
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    const binaries: IpxeManifestEntry[] = [];
    for (const { platform, script } of platforms) {
      const targets = IPXE_TARGETS.filter((target) => target.platform === platform);
      const embed = join(work, `swiftboot-${platform}.ipxe`);
      await writeFile(embed, script);
      log(`building ${targets.map((t) => t.name).join(", ")} (make -j${jobs}; several minutes)`);
      const started = Date.now();
      await run(
        "make",
        makeArgs(targets, work, embed, trustFiles, jobs, epoch),
        src,
        join(work, `make-${platform}.log`),
      );
      log(`built ${platform} in ${Math.round((Date.now() - started) / 1000)} s`);
      for (const target of targets) {
        const bytes = await readFile(join(src, target.makeTarget));
        const slots = findChainUrlSlots(bytes).length;
        if (platform === "efi" && slots !== 1) {
          throw new IpxeBuildError(
            `${target.name} has ${slots} chain URL slots after the build, not 1`,
          );
        }
        await writeFile(join(out, target.name), bytes);
        binaries.push({
          name: target.name,
          platform,
          size: bytes.length,
          sha256: sha256(bytes),
          chain: platform === "efi" ? "slot" : { url: options.chainUrl as string },
        });
      }
    }
    const manifest: IpxeManifest = {
      format: 1,
      inputs,
      source: { sha256: source.sha256, version: IPXE_VERSION },
      trust:
        trust.length === 0
          ? "ipxe-default"
          : trust.map((t) => ({ name: t.name, sha256: sha256(t.pem) })),
      sourceDateEpoch: epoch,
      binaries,
    };
    await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(out, dir);
    return { dir, manifest, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Copies a build's binaries and manifest to `out` (the CLI's --out). */
export async function exportBuild(build: IpxeBuildResult, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const entry of build.manifest.binaries) {
    await copyFile(join(build.dir, entry.name), join(out, entry.name));
  }
  await copyFile(join(build.dir, "manifest.json"), join(out, "manifest.json"));
}
