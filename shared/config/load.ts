import type * as z from "../validation/zod.ts";
import { type Config, configSchema, type GroupName, groups } from "./schema.ts";

export const ENV_PREFIX = "SWIFTBOOT_";
/** Not an option: the path of a YAML or JSON config file, read by the runtime entry point. */
export const CONFIG_FILE_ENV = "SWIFTBOOT_CONFIG_FILE";
/** Not options either: where the CLI finds the admin API, and its bearer token. */
export const API_URL_ENV = "SWIFTBOOT_API_URL";
export const API_TOKEN_ENV = "SWIFTBOOT_API_TOKEN";
/** The CLI signs admin requests with SigV4 for this region (functions/cli/commands/sigv4.ts). */
export const API_AWS_REGION_ENV = "SWIFTBOOT_API_AWS_REGION";
/** `SWIFTBOOT_*` variables that are not configuration options, so parseConfig lets them pass. */
const NOT_OPTIONS: ReadonlySet<string> = new Set([
  CONFIG_FILE_ENV,
  API_URL_ENV,
  API_TOKEN_ENV,
  API_AWS_REGION_ENV,
]);

export function envName(group: string, option: string): string {
  return `${ENV_PREFIX}${group}_${option}`.toUpperCase();
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

type Env = Record<string, string | undefined>;
type Raw = Record<string, Record<string, unknown>>;

/**
 * Builds the configuration from (lowest precedence first) embedded defaults, an optional config
 * file's parsed content, and `SWIFTBOOT_*` environment variables. Pure: reading the file is the
 * caller's job, so this runs unchanged on Lambda, Workers and Node.
 */
export function parseConfig(options: { env?: Env; file?: unknown; defaults?: Raw } = {}): Config {
  const env = options.env ?? {};
  const problems: string[] = [];
  const raw: Raw = {};
  const sources = new Map<string, string>();

  const merge = (layer: unknown, source: (group: string, key: string) => string) => {
    if (layer === undefined || layer === null) return;
    if (typeof layer !== "object" || Array.isArray(layer)) {
      problems.push(`${source("", "")}: expected a mapping of option groups`);
      return;
    }
    for (const [group, values] of Object.entries(layer)) {
      if (!(group in groups)) {
        problems.push(`${source(group, "")}: unknown option group "${group}"`);
        continue;
      }
      if (typeof values !== "object" || values === null || Array.isArray(values)) {
        problems.push(`${source(group, "")}: expected a mapping of options`);
        continue;
      }
      raw[group] ??= {};
      for (const [key, value] of Object.entries(values)) {
        (raw[group] as Record<string, unknown>)[key] = value;
        sources.set(`${group}.${key}`, source(group, key));
      }
    }
  };

  merge(options.defaults, (g, k) => `default ${g}.${k}`);
  merge(options.file, (g, k) => `config file ${k ? `${g}.${k}` : g || "(root)"}`);

  const known = new Map<string, [GroupName, string]>();
  for (const [group, schema] of Object.entries(groups) as [GroupName, z.ZodMiniObject][]) {
    for (const key of Object.keys(schema.shape)) known.set(envName(group, key), [group, key]);
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NOT_OPTIONS.has(name) || value === undefined) continue;
    const target = known.get(name);
    if (target === undefined) {
      problems.push(`${name}: not a swiftboot option (see docs/configuration.md)`);
      continue;
    }
    const [group, key] = target;
    raw[group] ??= {};
    (raw[group] as Record<string, unknown>)[key] = value;
    sources.set(`${group}.${key}`, name);
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [group, key] = issue.path.map(String);
      const dotted = key === undefined ? (group ?? "(root)") : `${group}.${key}`;
      const where =
        key === undefined
          ? dotted
          : (sources.get(dotted) ?? `${envName(group ?? "", key)} (${dotted})`);
      const label =
        where === dotted ? dotted : where.includes(dotted) ? where : `${where} (${dotted})`;
      problems.push(`${label}: ${issue.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: Config }).data;
}
