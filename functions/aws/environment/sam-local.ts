/**
 * `sam local invoke` and `sam local start-api` set AWS_SAM_LOCAL=true in their containers, and
 * only pass environment variables the template declares, which never include secrets. So that
 * the synthesized template runs there without AWS, a function that is under SAM local *and* has
 * no SWIFTBOOT_SECRETS_ARN (the deployed stack always sets one) signs artifact URLs with the
 * public sample key the sample events in events/ were signed with. Nowhere else.
 */
export const SAMPLE_ARTIFACT_KEY = "sample-artifact-signing-key-not-secret-0123456789";

export function samLocalDefaults(
  env: Record<string, string | undefined>,
  secretsArn: string | undefined,
): Record<string, Record<string, string>> | undefined {
  if (env.AWS_SAM_LOCAL !== "true" || secretsArn) return undefined;
  return { artifacts: { signing_key: SAMPLE_ARTIFACT_KEY } };
}
