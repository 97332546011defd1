import { groups, optionMeta } from "../../../shared/config/index.ts";

/**
 * Where a deployed function's secrets live: the ARN of a Secrets Manager secret or of an SSM
 * (SecureString) parameter. Not an option itself, so shared/config/load.ts skips it.
 */
export const SECRETS_ARN_ENV = "SWIFTBOOT_SECRETS_ARN";

export class SecretsError extends Error {
  override name = "SecretsError";
}

/** The secret options, `group.option` (e.g. `artifacts.signing_key`), from the config schema. */
function secretOptionNames(): Set<string> {
  const names = new Set<string>();
  for (const [group, schema] of Object.entries(groups)) {
    for (const [key, option] of Object.entries(schema.shape)) {
      if (optionMeta(option)?.secret) names.add(`${group}.${key}`);
    }
  }
  return names;
}

/**
 * A secret's value: a JSON object of secret options by dotted name, e.g.
 * `{"artifacts.signing_key": "...", "swift.temp_url_key": "..."}` (flat, so CloudFormation's
 * GenerateSecretString can create a key). Returns it as a config layer for parseConfig. Anything
 * else in it is refused: a secret must not quietly override ordinary configuration.
 */
export function parseSecretsDocument(text: string): Record<string, Record<string, string>> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SecretsError("the secret is not JSON (expected an object of secret options)");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new SecretsError("the secret must be a JSON object of secret options");
  }
  const allowed = secretOptionNames();
  const layer: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(doc)) {
    if (!allowed.has(name)) {
      throw new SecretsError(
        `the secret holds "${name}", which is not a secret option (allowed: ${[...allowed].join(", ")})`,
      );
    }
    if (typeof value !== "string") throw new SecretsError(`the secret's "${name}" is not a string`);
    if (value === "") continue; // a placeholder left for the operator to fill in
    const [group, key] = name.split(".") as [string, string];
    layer[group] ??= {};
    (layer[group] as Record<string, string>)[key] = value;
  }
  return layer;
}

export interface ParsedArn {
  service: "secretsmanager" | "ssm";
  region: string;
  /** SSM: the parameter name (`/swiftboot/secrets`); Secrets Manager: the whole ARN. */
  id: string;
}

export function parseSecretsArn(arn: string): ParsedArn {
  const m =
    /^arn:aws[a-z-]*:(secretsmanager|ssm):([a-z0-9-]+):\d{12}:(secret:.+|parameter\/.+)$/.exec(arn);
  if (m === null) {
    throw new SecretsError(
      `${SECRETS_ARN_ENV} must be a Secrets Manager secret ARN or an SSM parameter ARN, got ${JSON.stringify(arn)}`,
    );
  }
  const [, service, region, resource] = m as unknown as [
    string,
    ParsedArn["service"],
    string,
    string,
  ];
  if (service === "ssm" && !resource.startsWith("parameter/")) {
    throw new SecretsError(`${SECRETS_ARN_ENV}: an SSM ARN must name a parameter`);
  }
  if (service === "secretsmanager" && !resource.startsWith("secret:")) {
    throw new SecretsError(`${SECRETS_ARN_ENV}: a Secrets Manager ARN must name a secret`);
  }
  // An SSM parameter's name keeps its leading slash: `parameter/a/b` is `/a/b`, `parameter/a` is `a`.
  const name = resource.slice("parameter/".length);
  const id = service === "ssm" ? (name.includes("/") ? `/${name}` : name) : arn;
  return { service, region, id };
}

/**
 * Where the secret readers live in a deployed bundle: a file of their own beside index.mjs
 * (scripts/build.ts builds it from secrets-reader.ts). The Secrets Manager and SSM clients are
 * about 300 KB of the AWS SDK that a function uses once per execution environment; kept out of
 * index.mjs, they cost nothing at module load, and are parsed only when a secret is read.
 */
const READER_MODULES = ["./secrets-reader.mjs", "./secrets-reader.ts"];

type Reader = typeof import("./secrets-reader.ts");

/**
 * The bundled reader, or (unbundled, under tsx or vitest) its source. Specifiers built at run
 * time, so that esbuild leaves the import alone instead of inlining the SDK clients.
 */
async function loadReader(): Promise<Reader> {
  let firstError: unknown;
  for (const specifier of READER_MODULES) {
    try {
      return (await import(new URL(specifier, import.meta.url).href)) as Reader;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

/** Reads the secret's text (Secrets Manager or SSM, by the ARN's service). */
export async function fetchSecretText(arn: string, timeoutMs = 5_000): Promise<string> {
  const target = parseSecretsArn(arn);
  const reader = await loadReader();
  try {
    return await reader.readSecret(target, timeoutMs);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new SecretsError(`cannot read ${arn}: ${e.name}: ${e.message}`, { cause: error });
  }
}
