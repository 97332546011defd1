/**
 * The CDK app: `npm run synth` (offline; builds the bundles first) and `npm run deploy`.
 * Context: `-c cacheExpirationDays=30 -c logRetentionDays=30 -c stackName=Swiftboot
 * -c httpApi=true` (an API Gateway HTTP API too, e.g. for `sam local start-api`; needs
 * `front=false`) `-c front=false`
 * (no CloudFront front: bring your own) `-c frontDomain=boot.example.com -c
 * frontCertificateArn=arn:aws:acm:us-east-1:...` (a custom domain for the front).
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
const text = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key);
  return value === undefined || value === "" ? undefined : String(value);
};
const frontDomain = text("frontDomain");
const frontCertificateArn = text("frontCertificateArn");
if ((frontDomain === undefined) !== (frontCertificateArn === undefined)) {
  throw new Error(
    "context frontDomain and frontCertificateArn go together (CloudFront needs a certificate for an alias)",
  );
}
if (
  frontDomain !== undefined &&
  !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(frontDomain)
) {
  throw new Error(`context frontDomain=${frontDomain} is not a DNS name`);
}
if (
  frontCertificateArn !== undefined &&
  !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(frontCertificateArn)
) {
  throw new Error(
    "context frontCertificateArn must be an ACM certificate ARN in us-east-1 (CloudFront's region)",
  );
}

new SwiftbootStack(app, String(app.node.tryGetContext("stackName") ?? "Swiftboot"), {
  bundleDir: join(root, "dist", "aws"),
  ...(expiration === undefined ? {} : { cacheExpirationDays: expiration }),
  ...(retention === undefined ? {} : { logRetention: retention as RetentionDays }),
  httpApi: String(app.node.tryGetContext("httpApi") ?? "false") === "true",
  front: String(app.node.tryGetContext("front") ?? "true") !== "false",
  ...(frontDomain === undefined || frontCertificateArn === undefined
    ? {}
    : { frontDomain: { name: frontDomain, certificateArn: frontCertificateArn } }),
  description: "swiftboot: serverless iPXE boot service",
});
