import { Annotations, CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type FunctionUrl,
  FunctionUrlAuthType,
  InvokeMode,
  StartingPosition,
} from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { CacheBucket } from "./constructs/cache-bucket.ts";
import { SwiftbootFront } from "./constructs/front.ts";
import { SwiftbootHttpApi } from "./constructs/http-api.ts";
import { SwiftbootFunction } from "./constructs/lambda-function.ts";
import { adminPrincipals, defineParameters } from "./constructs/parameters.ts";
import {
  bootHistoryWrite,
  cacheReadWrite,
  callbackReportWrite,
  discoveryWrite,
  fillLockWrite,
  secretRead,
  streamRead,
  tableRead,
  tableReadWrite,
} from "./constructs/policies.ts";
import { SwiftbootSecret } from "./constructs/secret.ts";
import { SwiftbootTable } from "./constructs/table.ts";

export interface SwiftbootStackProps extends StackProps {
  /** Where `npm run build` wrote the Lambda bundles (dist/aws). */
  bundleDir: string;
  /** Days cached artifacts are kept (context `cacheExpirationDays`, default 30). */
  cacheExpirationDays?: number;
  /** Log retention (context `logRetentionDays`, default one month). */
  logRetention?: RetentionDays;
  /** Also an API Gateway HTTP API in front of the HTTP functions (context `httpApi=true`). */
  httpApi?: boolean;
  /**
   * The CloudFront front machines boot through (default true; context `front=false` for an
   * operator who brings a front of their own: the Function URLs are then open, as without one).
   */
  front?: boolean;
  /** A custom domain for the front and its ACM certificate (us-east-1). */
  frontDomain?: { name: string; certificateArn: string };
}

/**
 * Why `httpApi=true` needs `front=false`. Behind the front, the boot and artifacts functions take
 * the host their scripts and redirects name from the front's viewer headers; a request through
 * the HTTP API carries none (or forged ones: API Gateway passes a caller's headers on), so they
 * would name the API's host, and the artifacts function's redirects to CloudFront signed URLs
 * (`/artifacts/...`) would point at a host that does not route them and whose signature
 * CloudFront would not accept anyway (a signed URL names its host).
 */
export const HTTP_API_WITH_FRONT =
  "context httpApi=true cannot be combined with the CloudFront front: behind the front, artifact requests are answered with CloudFront signed URLs under /artifacts/ on the request's host, which the HTTP API does not route, and the API would pass callers' viewer headers on to the functions. Add -c front=false (e.g. for sam local start-api), or leave httpApi out.";

/**
 * swiftboot on AWS: the table, the cache bucket, the secret, and one Lambda function per
 * deployable, each with a Function URL where it serves HTTP and only the permissions it uses.
 */
export class SwiftbootStack extends Stack {
  constructor(scope: Construct, id: string, props: SwiftbootStackProps) {
    super(scope, id, props);
    const withFront = props.front ?? true;
    if (props.httpApi && withFront) throw new Error(HTTP_API_WITH_FRONT);
    const params = defineParameters(this);
    const { table } = new SwiftbootTable(this, "Data");
    const { bucket } = new CacheBucket(this, "Cache", {
      expirationDays: props.cacheExpirationDays ?? 30,
    });
    const { secret } = new SwiftbootSecret(this, "Secrets");
    if (!withFront) {
      Annotations.of(this).addWarningV2(
        "swiftboot:no-front",
        "front=false: the Function URLs are https only, which stock iPXE cannot fetch. Put a plain-HTTP front before them and set PublicUrl to it (docs/deploy.md).",
      );
    }

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
      // Secrets are read from here at cold start, never put in the environment, and read again
      // every SWIFTBOOT_SECRETS_MAX_AGE seconds, so a rotated key or a revoked token reaches
      // running environments within that (functions/aws/environment/app.ts).
      SWIFTBOOT_SECRETS_ARN: secret.secretArn,
      SWIFTBOOT_SECRETS_MAX_AGE: "300",
      // Empty (AWS's endpoint). Declared so that `sam local --env-vars` can point a function at
      // DynamoDB Local: SAM only passes variables the template declares.
      SWIFTBOOT_STORE_ENDPOINT: "",
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
      // 5 s; the history write after the answer, within store.timeout_ms too; anything longer is
      // a fault, and iPXE retries a failed chain.
      timeout: Duration.seconds(10),
      statements: [
        tableRead(table),
        bootHistoryWrite(table),
        discoveryWrite(table),
        secretRead(secret),
      ],
      // AWS_IAM behind the front: reached only through it (Origin Access Control signs for
      // CloudFront). Without one, NONE: iPXE cannot sign requests; the scripts hold no secret a
      // caller does not already have, and artifact URLs carry their own signatures.
      // RESPONSE_STREAM: the script reaches the machine when the stream ends, and the boot
      // history is written after that, within the invocation (functions/aws/boot.ts).
      url: {
        authType: withFront ? FunctionUrlAuthType.AWS_IAM : FunctionUrlAuthType.NONE,
        invokeMode: InvokeMode.RESPONSE_STREAM,
      },
    });

    // CACHE_BUCKET_ENDPOINT: empty (S3); declared for `sam local --env-vars`, like the store's.
    const cacheEnvironment = {
      ...environment,
      CACHE_BUCKET: bucket.bucketName,
      CACHE_BUCKET_ENDPOINT: "",
    };
    const artifacts = new SwiftbootFunction(this, "Artifacts", {
      ...common,
      environment: cacheEnvironment,
      bundle: "artifacts",
      logicalId: "ArtifactsFunction",
      description: "swiftboot: /v1/artifacts/... from the S3 cache (streamed)",
      // A fill hashes (sha256) and uploads while it streams; 1 GB buys more than half a vCPU
      // and room for the tee's and the multipart upload's buffers (a few 8 MiB parts).
      memoryMiB: 1024,
      // The longest a Function URL stream may run: large images over a slow origin.
      timeout: Duration.minutes(15),
      statements: [
        tableRead(table),
        fillLockWrite(table),
        ...cacheReadWrite(bucket),
        secretRead(secret),
      ],
      // As the boot function's: AWS_IAM behind the front, else NONE (URLs carry their own HMAC).
      url: {
        authType: withFront ? FunctionUrlAuthType.AWS_IAM : FunctionUrlAuthType.NONE,
        invokeMode: InvokeMode.RESPONSE_STREAM,
      },
    });

    const admin = new SwiftbootFunction(this, "Admin", {
      ...common,
      environment: {
        ...environment,
        SWIFTBOOT_ADMIN_IAM_PRINCIPALS: adminPrincipals(this, params),
      },
      bundle: "admin",
      logicalId: "AdminFunction",
      description: "swiftboot: admin API under /v1",
      // Small JSON requests; 256 MB is plenty and cold starts are rare (operators, not machines).
      memoryMiB: 256,
      timeout: Duration.seconds(30),
      statements: [...tableReadWrite(table), secretRead(secret)],
      // AWS_IAM: callers sign with SigV4 (the CLI does, from the standard credential chain) and
      // AWS checks it; the verified principal is the actor, admin.iam_principals its scope. Not
      // behind the front: Origin Access Control would replace the caller's signature with
      // CloudFront's.
      url: { authType: FunctionUrlAuthType.AWS_IAM },
    });

    const callbacks = new SwiftbootFunction(this, "Callbacks", {
      ...common,
      bundle: "callbacks",
      logicalId: "CallbacksFunction",
      description: "swiftboot: POST /v1/callbacks/... (booted machines' reports)",
      // One HMAC, two or three DynamoDB calls and a transaction per report.
      memoryMiB: 256,
      timeout: Duration.seconds(10),
      statements: [...callbackReportWrite(table), secretRead(secret)],
      // NONE, behind the front or not: a POST through Origin Access Control needs the viewer to
      // send x-amz-content-sha256, which busybox wget and curl -d do not. The callback URL is its
      // own credential (HMAC over node, state, stay and expiry, checked before the body is read)
      // and grants one report for one boot, like an artifact URL grants one download; the role
      // above is all a report can reach.
      url: { authType: FunctionUrlAuthType.NONE },
    });

    const warmer = new SwiftbootFunction(this, "CacheWarmer", {
      ...common,
      environment: cacheEnvironment,
      bundle: "cache-warmer",
      logicalId: "CacheWarmerFunction",
      description: "swiftboot: pre-fills the S3 cache for created or changed images",
      memoryMiB: 1024,
      // A batch of fills from the origin, each bounded by cache.origin_timeout_ms when stalled.
      timeout: Duration.minutes(15),
      statements: [
        ...streamRead(table),
        fillLockWrite(table),
        ...cacheReadWrite(bucket),
        secretRead(secret),
      ],
    });
    new EventSourceMapping(this, "CacheWarmerStream", {
      target: warmer.fn,
      eventSourceArn: table.tableStreamArn,
      startingPosition: StartingPosition.LATEST,
      // Fills are slow and independent: few per batch, failures reported per record.
      batchSize: 5,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      // Warming is an optimisation (a miss fills on demand): give up rather than block the shard.
      retryAttempts: 3,
      maxRecordAge: Duration.hours(6),
      // Only images written (shared/store/table.ts: IMAGE#<id> / IMAGE); nodes, claims, history
      // and locks never invoke the warmer.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or("INSERT", "MODIFY"),
          dynamodb: {
            Keys: { pk: { S: FilterRule.beginsWith("IMAGE#") }, sk: { S: ["IMAGE"] } },
          },
        }),
      ],
    });

    let chainUrl = `${boot.url ?? ""}boot.ipxe`;
    if (withFront) {
      const front = new SwiftbootFront(this, "Front", {
        boot: boot.functionUrl as FunctionUrl,
        artifacts: artifacts.functionUrl as FunctionUrl,
        callbacks: callbacks.functionUrl as FunctionUrl,
        bucket,
        secret,
        logRetention: common.logRetention,
        ...(props.frontDomain === undefined ? {} : { domain: props.frontDomain }),
      });
      // Every function reads the secret, which holds front.private_key from now on: each gets the
      // key id that goes with it (config requires both or neither).
      for (const fn of [boot, artifacts, admin, callbacks, warmer]) {
        fn.fn.addEnvironment("SWIFTBOOT_FRONT_KEY_PAIR_ID", front.publicKey.publicKeyId);
      }
      for (const fn of [boot, artifacts])
        fn.fn.addEnvironment("SWIFTBOOT_FRONT_VIEWER_HEADERS", "true");
      // Below the distribution's 60 s origin read timeout for /v1/artifacts/*.
      artifacts.fn.addEnvironment("SWIFTBOOT_CACHE_FILL_WAIT_MS", "20000");
      chainUrl = `http://${front.domainName}/boot.ipxe`;
      new CfnOutput(this, "FrontDomainName", { value: front.domainName });
      new CfnOutput(this, "DistributionId", { value: front.distribution.distributionId });
    }

    if (props.httpApi) {
      new SwiftbootHttpApi(this, "Http", {
        boot: boot.fn,
        artifacts: artifacts.fn,
        admin: admin.fn,
        callbacks: callbacks.fn,
      });
    }

    new CfnOutput(this, "TableName", { value: table.tableName });
    new CfnOutput(this, "CacheBucketName", { value: bucket.bucketName });
    new CfnOutput(this, "SecretArn", { value: secret.secretArn });
    // What a DHCP server hands to iPXE (docs/deploy.md): plain http through the front.
    new CfnOutput(this, "ChainUrl", { value: chainUrl });
  }
}
