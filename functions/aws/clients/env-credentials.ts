/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (scripts/build.ts).
 * On Lambda the execution role's credentials are always in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the first place the SDK's default chain
 * looks; the rest of the chain (profiles, SSO, STS web identity, IMDS, ...) and the STS/SSO
 * clients it carries are about 100 KB that every cold start would parse for nothing.
 * `sam local invoke` passes credentials the same way.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
export const credentialsWillNeedRefresh = (): boolean => false;
export const credentialsTreatedAsExpired = (): boolean => false;
