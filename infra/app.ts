/**
 * The CDK app: `npm run synth` (offline; builds the bundles first) and `npm run deploy`.
 * Context: `-c cacheExpirationDays=30 -c logRetentionDays=30 -c stackName=Swiftboot
 * -c httpApi=true` (an API Gateway HTTP API too, e.g. for `sam local start-api`).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { SwiftbootStack } from "./stack.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const app = new App();
const number = (key: string): number | undefined => {
  const value = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`context ${key} must be a positive integer`);
  return n;
};
const retentionDays = number("logRetentionDays");
const retention = Object.values(RetentionDays).find((v) => v === retentionDays);
if (retentionDays !== undefined && retention === undefined) {
  throw new Error(`context logRetentionDays=${retentionDays} is not a CloudWatch Logs retention`);
}
const expiration = number("cacheExpirationDays");

new SwiftbootStack(app, String(app.node.tryGetContext("stackName") ?? "Swiftboot"), {
  bundleDir: join(root, "dist", "aws"),
  ...(expiration === undefined ? {} : { cacheExpirationDays: expiration }),
  ...(retention === undefined ? {} : { logRetention: retention as RetentionDays }),
  httpApi: String(app.node.tryGetContext("httpApi") ?? "false") === "true",
  description: "swiftboot: serverless iPXE boot service",
});
