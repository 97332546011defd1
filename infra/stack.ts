import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { CacheBucket } from "./constructs/cache-bucket.ts";
import { SwiftbootFunction } from "./constructs/lambda-function.ts";
import { defineParameters } from "./constructs/parameters.ts";
import { bootHistoryWrite, secretRead, tableRead } from "./constructs/policies.ts";
import { SwiftbootSecret } from "./constructs/secret.ts";
import { SwiftbootTable } from "./constructs/table.ts";

export interface SwiftbootStackProps extends StackProps {
  /** Where `npm run build` wrote the Lambda bundles (dist/aws). */
  bundleDir: string;
  /** Days cached artifacts are kept (context `cacheExpirationDays`, default 30). */
  cacheExpirationDays?: number;
  /** Log retention (context `logRetentionDays`, default one month). */
  logRetention?: RetentionDays;
}

/**
 * swiftboot on AWS: the table, the cache bucket, the secret, and one Lambda function per
 * deployable, each with a Function URL where it serves HTTP and only the permissions it uses.
 */
export class SwiftbootStack extends Stack {
  constructor(scope: Construct, id: string, props: SwiftbootStackProps) {
    super(scope, id, props);
    const params = defineParameters(this);
    const { table } = new SwiftbootTable(this, "Data");
    const { bucket } = new CacheBucket(this, "Cache", {
      expirationDays: props.cacheExpirationDays ?? 30,
    });
    const { secret } = new SwiftbootSecret(this, "Secrets");

    const environment: Record<string, string> = {
      SWIFTBOOT_STORE_TABLE: table.tableName,
      SWIFTBOOT_IPXE_USE_SWIFT: params.useSwift.valueAsString,
      SWIFTBOOT_IPXE_PUBLIC_URL: params.publicUrl.valueAsString,
      SWIFTBOOT_SWIFT_ENDPOINT_URL: params.swiftEndpointUrl.valueAsString,
      SWIFTBOOT_SWIFT_ACCOUNT: params.swiftAccount.valueAsString,
      SWIFTBOOT_SWIFT_CONTAINER: params.swiftContainer.valueAsString,
      SWIFTBOOT_SWIFT_TEMP_URL_DURATION: params.tempUrlDuration.valueAsString,
      SWIFTBOOT_ARTIFACTS_URL_DURATION: params.artifactUrlDuration.valueAsString,
      SWIFTBOOT_LOG_LEVEL: params.logLevel.valueAsString,
      // Secrets are read from here at cold start, never put in the environment.
      SWIFTBOOT_SECRETS_ARN: secret.secretArn,
    };
    const common = {
      bundleDir: props.bundleDir,
      environment,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    };

    const boot = new SwiftbootFunction(this, "Boot", {
      ...common,
      bundle: "boot",
      logicalId: "BootFunction",
      description: "swiftboot: /boot.ipxe and /boot/{mac}.ipxe",
      // Cold starts are CPU-bound (module loading) and CPU scales with memory; warm requests are
      // two DynamoDB reads and an HMAC. 512 MB keeps a cold start short at a small cost.
      memoryMiB: 512,
      // A store lookup gives up after store.timeout_ms (2 s) and a cold start's secret read after
      // 5 s; anything longer is a fault, and iPXE retries a failed chain.
      timeout: Duration.seconds(10),
      statements: [tableRead(table), bootHistoryWrite(table), secretRead(secret)],
      // NONE: iPXE cannot sign requests. The scripts hold no secret a caller does not already
      // have; artifact URLs carry their own signatures.
      url: { authType: FunctionUrlAuthType.NONE },
    });

    new CfnOutput(this, "TableName", { value: table.tableName });
    new CfnOutput(this, "CacheBucketName", { value: bucket.bucketName });
    new CfnOutput(this, "SecretArn", { value: secret.secretArn });
    new CfnOutput(this, "ChainUrl", { value: `${boot.url ?? ""}boot.ipxe` });
  }
}
