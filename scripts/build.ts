/**
 * `npm run build`: one esbuild bundle per deployable under dist/, each in its own directory so a
 * Lambda asset holds exactly one function:
 *
 * - dist/aws/<name>/index.mjs: Lambda, nodejs22.x on arm64 (platform node, ESM), with
 *   secrets-reader.mjs beside it, and undici-client.mjs beside those that fill the cache (each
 *   loaded on first use).
 * - dist/edge/worker.js: Cloudflare Workers (workerd), resolved as wrangler does for
 *   `nodejs_compat`: browser/worker conditions, `node:*` left to the runtime.
 * - dist/bench/minimal-lambda/index.mjs: a minimal hono Lambda built exactly like the functions,
 *   the baseline of bench/cold-start.ts.
 *
 * All minified and tree-shaken, with external source maps. Importable: tests and the bench call
 * buildBundles() with their own output directory.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build, type Metafile, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const LAMBDA_FUNCTIONS = {
  boot: "functions/aws/boot.ts",
  artifacts: "functions/aws/artifacts.ts",
  admin: "functions/aws/admin.ts",
  callbacks: "functions/aws/callbacks.ts",
  "cache-warmer": "functions/aws/cache-warmer.ts",
} as const;
export type LambdaName = keyof typeof LAMBDA_FUNCTIONS;
export type BundleName = LambdaName | "worker" | "minimal-lambda";

/** The cold-start baseline: the smallest useful hono Lambda, bundled the same way. */
const MINIMAL_LAMBDA = `
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
const app = new Hono();
app.get("/boot.ipxe", (c) => c.text("#!ipxe\\necho hello\\n"));
export const handler = handle(app);
`;

/**
 * zod's `z` namespace object keeps every export alive, including ~45 translations of its error
 * messages (a third of its size, parsed on every cold start). Nothing in swiftboot reads
 * `z.locales` (English messages come from `zod/v4/locales/en.js`, imported on its own), so the
 * namespace is bundled empty.
 */
const dropZodLocales: Plugin = {
  name: "drop-zod-locales",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "empty" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({
      contents: "export {};",
      loader: "js",
    }));
  },
};

/**
 * Lambda: credentials come from the environment only (functions/aws/clients/env-credentials.ts
 * says why), instead of the SDK's whole default chain and the STS/SSO clients it carries.
 */
const envCredentialsOnly: Plugin = {
  name: "env-credentials-only",
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: resolve(ROOT, "functions/aws/clients/env-credentials.ts"),
    }));
  },
};

/**
 * ESM on Node: bundled CommonJS dependencies still call require() for built-ins, which an ES
 * module lacks; this gives them one (the usual esbuild recipe, also CDK's NodejsFunction's).
 */
const REQUIRE_SHIM =
  "import { createRequire as __swiftbootCreateRequire } from 'node:module';" +
  "const require = __swiftbootCreateRequire(import.meta.url);";

const common: BuildOptions = {
  bundle: true,
  format: "esm",
  minify: true,
  treeShaking: true,
  sourcemap: "external",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  absWorkingDir: ROOT,
  plugins: [dropZodLocales],
};

const lambdaOptions: BuildOptions = {
  ...common,
  platform: "node",
  target: "node22",
  // ES module builds of the AWS SDK and smithy tree-shake far better than their CJS ones.
  mainFields: ["module", "main"],
  banner: { js: REQUIRE_SHIM },
};

/**
 * Code splitting only where it pays and is safe: the boot function, whose DynamoDB store (with
 * the AWS SDK, about 350 KB) is imported on first use (functions/aws/clients/lazy-store.ts), goes to
 * chunks loaded only then. esbuild does not keep the evaluation order of modules across chunks
 * (shared chunks run first), which breaks order-dependent module side effects: @hono/zod-openapi
 * extends zod's prototypes, and schemas built before it lack `.openapi`. The boot function does
 * not mount the admin API (functions/aws/boot.ts), so it has no such effect; the other functions
 * load their store at start anyway and stay one file each (plus the secret reader).
 */
const SPLIT: ReadonlySet<LambdaName> = new Set(["boot"]);
const splitOptions: BuildOptions = {
  splitting: true,
  entryNames: "index",
  chunkNames: "chunk-[hash]",
  outExtension: { ".js": ".mjs" },
};
const SECRETS_READER = "functions/aws/environment/secrets-reader.ts";
/**
 * The pinned undici of functions/node/origin-fetch.ts (about 740 KB), in a file of its own for the
 * functions that fill the cache: loaded on the first fill, not on every cold start.
 */
const UNDICI_CLIENT = "functions/node/undici-client.ts";
const FILLS: ReadonlySet<LambdaName> = new Set(["artifacts", "cache-warmer"]);

const workerOptions: BuildOptions = {
  ...common,
  // As wrangler bundles for workerd: the browser builds of the AWS SDK (fetch, Web Crypto), and
  // node:* imports resolved by the runtime's nodejs_compat layer.
  platform: "browser",
  target: "es2024",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  external: ["node:*", "cloudflare:*"],
};

export interface BundleResult {
  name: BundleName;
  /** The entry file (its handler export). */
  file: string;
  /** The entry file and the chunks it imports statically: what is loaded at import. */
  bytes: number;
  /** Every file of the bundle (with the secret reader, without source maps). */
  totalBytes: number;
  /** The source files (project and node_modules paths) of what is loaded at import. */
  eagerInputs: string[];
}

export interface BuildBundlesOptions {
  /** Default: dist/ under the project. */
  outdir?: string;
  /** Default: every bundle. */
  only?: readonly BundleName[];
}

export async function buildBundles(options: BuildBundlesOptions = {}): Promise<BundleResult[]> {
  const outdir = resolve(ROOT, options.outdir ?? "dist");
  const wanted = (name: BundleName) => options.only === undefined || options.only.includes(name);
  const jobs: Promise<BundleResult>[] = [];
  const one = async (name: BundleName, file: string, extra: BuildOptions) => {
    const dir = dirname(file);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const result = await build(
      extra.splitting ? { ...extra, outdir: dir } : { ...extra, outfile: file },
    );
    // For esbuild's bundle analyzer (https://esbuild.github.io/analyze/); outside the
    // function's directory, so it is not deployed with it.
    await mkdir(join(outdir, "meta"), { recursive: true });
    await writeFile(join(outdir, "meta", `${name}.json`), JSON.stringify(result.metafile));
    const outputs = result.metafile?.outputs ?? {};
    let totalBytes = 0;
    for (const [out, meta] of Object.entries(outputs)) {
      if (!out.endsWith(".map")) totalBytes += meta.bytes;
    }
    const eager = eagerOutputs(outputs, relative(ROOT, file));
    let bytes = 0;
    const eagerInputs = new Set<string>();
    for (const path of eager) {
      bytes += outputs[path]?.bytes ?? 0;
      for (const input of Object.keys(outputs[path]?.inputs ?? {})) eagerInputs.add(input);
    }
    return { name, file, bytes, totalBytes, eagerInputs: [...eagerInputs].sort() };
  };
  for (const [name, entry] of Object.entries(LAMBDA_FUNCTIONS) as [LambdaName, string][]) {
    if (!wanted(name)) continue;
    const plugins = [dropZodLocales, envCredentialsOnly];
    jobs.push(
      one(name, join(outdir, "aws", name, "index.mjs"), {
        ...lambdaOptions,
        ...(SPLIT.has(name) ? splitOptions : {}),
        plugins,
        entryPoints: SPLIT.has(name) ? { index: entry } : [entry],
      }).then(async (result) => {
        // Files loaded on first use (functions/aws/environment/secrets.ts, origin-fetch.ts).
        const lazy: [entry: string, file: string][] = [[SECRETS_READER, "secrets-reader.mjs"]];
        if (FILLS.has(name)) lazy.push([UNDICI_CLIENT, "undici-client.mjs"]);
        for (const [entry, file] of lazy) {
          const side = await build({
            ...lambdaOptions,
            plugins: [dropZodLocales, envCredentialsOnly],
            entryPoints: [entry],
            outfile: join(dirname(result.file), file),
          });
          for (const [out, meta] of Object.entries(side.metafile?.outputs ?? {})) {
            if (!out.endsWith(".map")) result.totalBytes += meta.bytes;
          }
        }
        return result;
      }),
    );
  }
  if (wanted("worker")) {
    jobs.push(
      one("worker", join(outdir, "edge", "worker.js"), {
        ...workerOptions,
        entryPoints: ["functions/edge/worker.ts"],
      }),
    );
  }
  if (wanted("minimal-lambda")) {
    jobs.push(
      one("minimal-lambda", join(outdir, "bench", "minimal-lambda", "index.mjs"), {
        ...lambdaOptions,
        stdin: { contents: MINIMAL_LAMBDA, resolveDir: ROOT, loader: "ts" },
      }),
    );
  }
  return Promise.all(jobs);
}

/** The entry file and the chunks it imports statically: what is loaded at import. */
function eagerOutputs(outputs: Metafile["outputs"], entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    const output = outputs[path];
    if (output === undefined || seen.has(path)) return;
    seen.add(path);
    for (const i of output.imports) if (i.kind === "import-statement") visit(i.path);
  };
  visit(entry);
  return seen;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  await rm(join(ROOT, "dist"), { recursive: true, force: true });
  const results = await buildBundles();
  console.log(`${"bundle".padEnd(40)} ${"at import".padStart(10)} ${"all files".padStart(10)}`);
  for (const r of results) {
    console.log(
      `${relative(ROOT, r.file).padEnd(40)} ${kb(r.bytes).padStart(10)} ${kb(r.totalBytes).padStart(10)}`,
    );
  }
  console.log(`built ${results.length} bundles in ${Math.round(performance.now() - started)} ms`);
}
