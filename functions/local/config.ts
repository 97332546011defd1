import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  CONFIG_FILE_ENV,
  type Config,
  ConfigError,
  parseConfig,
} from "../../shared/config/index.ts";

type Env = Record<string, string | undefined>;

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([
      `${CONFIG_FILE_ENV}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`,
    ]);
  }
  try {
    // YAML is a superset of JSON, so one parser reads both formats.
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError([
      `${CONFIG_FILE_ENV}: ${path} is not valid YAML or JSON: ${(error as Error).message}`,
    ]);
  }
}

function fileOption(file: unknown, group: string, key: string): unknown {
  if (typeof file !== "object" || file === null) return undefined;
  const values = (file as Record<string, unknown>)[group];
  return typeof values === "object" && values !== null
    ? (values as Record<string, unknown>)[key]
    : undefined;
}

/**
 * A local run needs no secrets configured: the artifact signing key is generated once and kept
 * (mode 0600) under the data directory, so URLs stay valid across restarts.
 */
function localArtifactKey(dataDir: string): string {
  const path = join(dataDir, "artifact-signing-key");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString("hex");
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/** The configuration for `npm start` and the CLI: file + environment, with local conveniences. */
export function loadLocalConfig(env: Env = process.env): Config {
  const filePath = env[CONFIG_FILE_ENV];
  const file = filePath ? readConfigFile(filePath) : undefined;
  const dataDir = resolve(
    env.SWIFTBOOT_LOCAL_DATA_DIR || String(fileOption(file, "local", "data_dir") ?? ".data"),
  );
  const keyGiven =
    env.SWIFTBOOT_ARTIFACTS_SIGNING_KEY || fileOption(file, "artifacts", "signing_key");
  const defaults: Record<string, Record<string, unknown>> = { local: { data_dir: dataDir } };
  // In both modes: it signs artifact URLs (cache mode) and every mode's callback URLs.
  if (!keyGiven) defaults.artifacts = { signing_key: localArtifactKey(dataDir) };
  return parseConfig({ env, file, defaults });
}
