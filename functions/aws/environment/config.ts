import { type Config, ConfigError, parseConfig } from "../../../shared/config/index.ts";
import { samLocalDefaults } from "./sam-local.ts";
import { fetchSecretText, parseSecretsDocument, SECRETS_ARN_ENV } from "./secrets.ts";

type Env = Record<string, string | undefined>;

/**
 * How often, in seconds, a running execution environment reads its secret again and, when it
 * changed, rebuilds its app with it (functions/aws/environment/app.ts). Not an option of the
 * shared configuration: only deployed functions have a secret to re-read.
 */
export const SECRETS_MAX_AGE_ENV = "SWIFTBOOT_SECRETS_MAX_AGE";
export const DEFAULT_SECRETS_MAX_AGE_SECONDS = 300;
const MAX_SECRETS_MAX_AGE_SECONDS = 86_400;

/**
 * The secret's text from `SWIFTBOOT_SECRETS_ARN`, or undefined when the function has none.
 * `timeoutMs` bounds the read (default: fetchSecretText's).
 */
export async function readLambdaSecret(env: Env, timeoutMs?: number): Promise<string | undefined> {
  const arn = env[SECRETS_ARN_ENV];
  return arn ? fetchSecretText(arn, timeoutMs) : undefined;
}

/**
 * A Lambda function's configuration: `SWIFTBOOT_*` environment variables, plus the secret options
 * from the secret's text (readLambdaSecret) when the function has one. The deployed stack always
 * sets SWIFTBOOT_SECRETS_ARN and never puts a secret in the environment; without it (tests,
 * `sam local`), secrets may come from the environment like any option.
 */
export function lambdaConfig(env: Env, secretText: string | undefined): Config {
  // Not options: parseConfig rejects unknown SWIFTBOOT_* names, so they are dropped here.
  // SWIFTBOOT_SECRETS_MAX_AGE is read (and a bad value refused) by environment/app.ts.
  const { [SECRETS_ARN_ENV]: arn, [SECRETS_MAX_AGE_ENV]: _maxAge, ...options } = env;
  const secrets = secretText === undefined ? undefined : parseSecretsDocument(secretText);
  const defaults: Record<string, Record<string, string>> = { ...samLocalDefaults(env, arn) };
  // Lambda sets AWS_REGION; the table lives in the function's region unless configured otherwise.
  if (env.AWS_REGION) defaults.store = { region: env.AWS_REGION };
  return parseConfig({ env: options, file: secrets, defaults });
}

/** `SWIFTBOOT_SECRETS_MAX_AGE` in seconds (default 300); 0 reads the secret once. */
export function secretsMaxAge(env: Env): number {
  const raw = env[SECRETS_MAX_AGE_ENV];
  if (raw === undefined || raw.trim() === "") return DEFAULT_SECRETS_MAX_AGE_SECONDS;
  const seconds = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds <= MAX_SECRETS_MAX_AGE_SECONDS)) {
    throw new ConfigError([
      `${SECRETS_MAX_AGE_ENV}: expected a whole number of seconds from 0 to ${MAX_SECRETS_MAX_AGE_SECONDS}`,
    ]);
  }
  return seconds;
}
