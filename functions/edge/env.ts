import type { R2Bucket } from "@cloudflare/workers-types";

/**
 * The Worker's bindings (wrangler.jsonc): `SWIFTBOOT_*` vars and secrets are configuration
 * (secrets set with `wrangler secret put`, e.g. SWIFTBOOT_ARTIFACTS_SIGNING_KEY), the AWS key
 * pair reaches DynamoDB over HTTPS (SigV4), and CACHE is the R2 bucket of the artifact cache.
 */
export interface WorkerEnv {
  CACHE?: R2Bucket;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  /** Only for temporary credentials. */
  AWS_SESSION_TOKEN?: string;
  [name: string]: unknown;
}

/** The string bindings, which parseConfig reads like environment variables. */
export function stringBindings(env: WorkerEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") out[name] = value;
  return out;
}

export function awsCredentials(
  env: WorkerEnv,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}
