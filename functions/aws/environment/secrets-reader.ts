/**
 * The secret readers, bundled as a file of their own (secrets-reader.mjs) beside each function's
 * index.mjs and imported on first use: see secrets.ts. Plain values and plain errors cross the
 * boundary, so no class needs to be shared between the two files.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

export interface SecretTarget {
  service: "secretsmanager" | "ssm";
  region: string;
  /** Secrets Manager: the secret's ARN; SSM: the parameter's name. */
  id: string;
}

export async function readSecret(target: SecretTarget, timeoutMs: number): Promise<string> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  if (target.service === "secretsmanager") {
    const client = new SecretsManagerClient({ region: target.region });
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: target.id }), {
        abortSignal,
      });
      if (out.SecretString === undefined) throw new Error("the secret has no string value");
      return out.SecretString;
    } finally {
      client.destroy();
    }
  }
  const client = new SSMClient({ region: target.region });
  try {
    const out = await client.send(
      new GetParameterCommand({ Name: target.id, WithDecryption: true }),
      { abortSignal },
    );
    const value = out.Parameter?.Value;
    if (value === undefined) throw new Error("the parameter has no value");
    return value;
  } finally {
    client.destroy();
  }
}
