import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { Command } from "commander";
import { openFsCache } from "../../../shared/cache/adapters/fs.ts";
import { createS3Cache } from "../../../shared/cache/adapters/s3.ts";
import type { ArtifactCache } from "../../../shared/cache/types.ts";
import { IPXE_MANIFEST_KEY, ipxeBinaryKey } from "../../../shared/ipxe-binaries/serve.ts";
import type { IpxeManifest } from "../../../shared/ipxe-binaries/targets.ts";
import {
  buildIpxe,
  exportBuild,
  IPXE_RELEASE_URL,
  IPXE_VERSION,
  IpxeBuildError,
} from "../../ipxe/build.ts";
import { CliFailure, type CliIo, loadCliConfig } from "../io.ts";

const DEFAULT_CACHE_DIR = ".cache/ipxe";

/** Without --source: upstream's release tarball, downloaded once into the cache folder. */
async function releaseTarball(cacheDir: string, io: CliIo): Promise<string> {
  const path = join(cacheDir, `ipxe-${IPXE_VERSION}.tar.gz`);
  if (
    await stat(path).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return path;
  io.err(`downloading ${IPXE_RELEASE_URL} (offline: pass --source <tarball|dir>)`);
  let bytes: Uint8Array;
  try {
    const response = await fetch(IPXE_RELEASE_URL, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new CliFailure(
      `cannot download iPXE ${IPXE_VERSION} (${(error as Error).message}); pass --source <tarball|dir>`,
    );
  }
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
  return path;
}

type BuildOptions = {
  source?: string;
  trust?: string[];
  chainUrl?: string;
  out?: string;
  cacheDir: string;
  jobs: string;
};

type PublishOptions = {
  from: string;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
};

/** Where `publish` writes: the local artifact cache (npm start), or an S3/R2 bucket. */
async function publishTarget(options: PublishOptions, io: CliIo): Promise<ArtifactCache> {
  if (options.bucket === undefined) {
    const config = loadCliConfig(io);
    return openFsCache(join(config.local.data_dir, "cache"));
  }
  // R2 and other S3-compatible stores: --endpoint (credentials from the usual AWS variables).
  const region = options.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const client = new S3Client({
    ...(region === undefined ? {} : { region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint, forcePathStyle: true }),
  });
  return createS3Cache({
    client,
    bucket: options.bucket,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * `swiftboot ipxe build` and `swiftboot ipxe publish` (docs/ipxe.md): swiftboot's own iPXE, with
 * HTTPS on every target, the operator's CA, and the chain URL filled in when served.
 */
export function registerIpxe(program: Command, io: CliIo): Command {
  const ipxe = program
    .command("ipxe")
    .description("Build and publish swiftboot's own iPXE binaries.");
  ipxe
    .command("build")
    .description(
      "Build ipxe.efi and snponly.efi (and, with --chain-url, undionly.kpxe and ipxe.lkrn) with HTTPS on; cached by input hash.",
    )
    .option(
      "--source <tarball|dir>",
      `iPXE source (default: download the v${IPXE_VERSION} release)`,
    )
    .option("--trust <pem...>", "CA certificates the binaries trust (default: iPXE's own root)")
    .option(
      "--chain-url <url>",
      "chain URL built into the BIOS binaries, which cannot be patched when served (e.g. https://boot.example/boot.ipxe)",
    )
    .option("--out <dir>", "copy the binaries and manifest.json here")
    .option("--cache-dir <dir>", "build cache folder", DEFAULT_CACHE_DIR)
    .option("--jobs <n>", "parallel make jobs", "2")
    .action(async (options: BuildOptions) => {
      const jobs = Number(options.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
        throw new CliFailure("--jobs must be a whole number from 1 to 256");
      }
      const cacheDir = resolve(options.cacheDir);
      const source = options.source ?? (await releaseTarball(cacheDir, io));
      try {
        const build = await buildIpxe({
          source,
          trust: options.trust ?? [],
          chainUrl: options.chainUrl,
          cacheDir,
          jobs,
          log: (line) => io.err(line),
        });
        if (options.out !== undefined) await exportBuild(build, options.out);
        io.err(build.cached ? `cached build ${build.dir}` : `built ${build.dir}`);
        if (options.chainUrl === undefined) {
          io.err("BIOS targets skipped: they need --chain-url (see docs/ipxe.md)");
        }
        for (const b of build.manifest.binaries) {
          io.out(`${b.sha256}  ${b.name}  ${b.size}`);
        }
      } catch (error) {
        if (error instanceof IpxeBuildError) throw new CliFailure(error.message);
        throw error;
      }
    });
  ipxe
    .command("publish")
    .description(
      "Upload a build's binaries to the artifact store that serves GET /ipxe/<name>: the local cache (npm start), or --bucket (S3, or R2 with --endpoint).",
    )
    .requiredOption("--from <dir>", "a folder written by `swiftboot ipxe build --out`")
    .option("--bucket <name>", "the deployment's cache bucket (default: the local cache)")
    .option("--prefix <prefix>", "key prefix inside the bucket, as the deployment has it")
    .option("--endpoint <url>", "S3-compatible endpoint (Cloudflare R2)")
    .option("--region <region>", "the bucket's region (default: AWS_REGION; R2: auto)")
    .action(async (options: PublishOptions) => {
      let manifest: IpxeManifest;
      try {
        manifest = JSON.parse(await readFile(join(options.from, "manifest.json"), "utf8"));
      } catch (error) {
        throw new CliFailure(`${options.from}/manifest.json: ${(error as Error).message}`);
      }
      if (manifest.format !== 1 || !Array.isArray(manifest.binaries)) {
        throw new CliFailure(
          `${options.from}/manifest.json is not a swiftboot ipxe build manifest`,
        );
      }
      const cache = await publishTarget(options, io);
      for (const entry of manifest.binaries) {
        const bytes = await readFile(join(options.from, entry.name));
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        if (sha256 !== entry.sha256) {
          throw new CliFailure(`${entry.name} does not match its manifest (sha256 ${sha256})`);
        }
        await cache.put(ipxeBinaryKey(entry.name), bytesStream(bytes), {
          contentType: "application/octet-stream",
          size: bytes.length,
          sha256,
        });
        io.out(`published ${entry.name} (${bytes.length} bytes)`);
      }
      const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
      await cache.put(IPXE_MANIFEST_KEY, bytesStream(manifestBytes), {
        contentType: "application/json",
        size: manifestBytes.length,
      });
    });
  return ipxe;
}
