import { type Config, parseConfig } from "../../../shared/config/index.ts";
import { samLocalDefaults } from "./sam-local.ts";
import { fetchSecretText, parseSecretsDocument, SECRETS_ARN_ENV } from "./secrets.ts";

type Env = Record<string, string | undefined>;

/**
 * A Lambda function's configuration: `SWIFTBOOT_*` environment variables, plus the secret options
 * read from `SWIFTBOOT_SECRETS_ARN` (Secrets Manager or SSM) when it is set. The deployed stack
 * always sets it and never puts a secret in the environment; without it (tests, `sam local`),
 * secrets may come from the environment like any option.
 */
export async function loadLambdaConfig(env: Env): Promise<Config> {
  // The pointer is not an option: parseConfig rejects unknown SWIFTBOOT_* names, so drop it here.
  const { [SECRETS_ARN_ENV]: arn, ...options } = env;
  const secrets = arn ? parseSecretsDocument(await fetchSecretText(arn)) : undefined;
  const defaults: Record<string, Record<string, string>> = { ...samLocalDefaults(env, arn) };
  // Lambda sets AWS_REGION; the table lives in the function's region unless configured otherwise.
  if (env.AWS_REGION) defaults.store = { region: env.AWS_REGION };
  return parseConfig({ env: options, file: secrets, defaults });
}
