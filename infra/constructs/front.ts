import { readFileSync } from "node:fs";
import { CustomResource, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  KeyGroup,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  PublicKey,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { FunctionUrlOrigin, S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  Architecture,
  Code,
  type FunctionUrl,
  Function as LambdaFunction,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { ARTIFACTS_PREFIX } from "./cache-bucket.ts";

/** Headers the functions read behind the front (functions/aws/front/viewer.ts). */
export const FRONT_HEADERS = [
  "x-swiftboot-viewer-host",
  "x-swiftboot-viewer-address",
  "CloudFront-Forwarded-Proto",
  "User-Agent",
] as const;

/** The viewer-request function's code, with the distribution's aliases filled in. */
export function viewerRequestCode(aliases: readonly string[]): string {
  const source = readFileSync(new URL("../front/viewer-request.js", import.meta.url), "utf8");
  return source.replace("__ALIASES__", JSON.stringify(aliases.map((a) => a.toLowerCase())));
}

export interface SwiftbootFrontProps {
  boot: FunctionUrl;
  artifacts: FunctionUrl;
  /** The callbacks Function URL (auth NONE: a report is a POST, which OAC cannot pass). */
  callbacks: FunctionUrl;
  bucket: IBucket;
  /** The stack's secret: the key pair's private key is kept in it (`front.private_key`). */
  secret: ISecret;
  logRetention: RetentionDays;
  /** A custom domain (an alias of the distribution) and its ACM certificate in us-east-1. */
  domain?: { name: string; certificateArn: string };
}

/**
 * The plain-HTTP front machines boot through: one CloudFront distribution whose viewers may use
 * http or https (stock iPXE has no TLS), in front of
 *
 * - the boot Function URL (default behaviour) and the artifacts Function URL (`/v1/artifacts/*`,
 *   and swiftboot's own iPXE binaries under `/ipxe/*`),
 *   both AWS_IAM and reached through Origin Access Control, never cached, query strings whole;
 * - the private cache bucket (`/artifacts/*`) through Origin Access Control, served only on a
 *   CloudFront signed URL of the trusted key group (the artifacts function redirects there);
 * - the callbacks Function URL (`/v1/callbacks/*`), which takes POST with a body. Origin Access
 *   Control cannot carry that for the machines: Lambda refuses a signed POST whose viewer did not
 *   send `x-amz-content-sha256` (busybox wget and curl do not). So this origin is a plain HTTPS
 *   origin to an auth-NONE URL, whose requests prove themselves with the callback URL's HMAC.
 *
 * The key group's key pair is made at deploy time by a custom resource that keeps the private
 * key in the stack's secret (infra/front/key-pair.cjs).
 */
export class SwiftbootFront extends Construct {
  readonly distribution: Distribution;
  readonly publicKey: PublicKey;
  /** The name machines use: the custom domain, else the distribution's. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: SwiftbootFrontProps) {
    super(scope, id);
    this.publicKey = new PublicKey(this, "PublicKey", {
      encodedKey: this.keyPair(props).getAttString("PublicKey"),
      comment: "swiftboot: signs redirects to cached artifacts (private key in the secret)",
    });
    const keyGroup = new KeyGroup(this, "KeyGroup", { items: [this.publicKey] });

    const aliases = props.domain === undefined ? [] : [props.domain.name];
    const viewerRequest = new CloudFrontFunction(this, "ViewerRequest", {
      code: FunctionCode.fromInline(viewerRequestCode(aliases)),
      runtime: FunctionRuntime.JS_2_0,
      comment: "swiftboot: hands the viewer's host and address to the functions",
    });
    const toFunctions = new OriginRequestPolicy(this, "ToFunctions", {
      comment: "swiftboot: the whole query, the viewer's host, address and scheme",
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      headerBehavior: OriginRequestHeaderBehavior.allowList(...FRONT_HEADERS),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });
    const functionBehavior = (url: FunctionUrl, readTimeout?: Duration): BehaviorOptions => ({
      origin: FunctionUrlOrigin.withOriginAccessControl(url, {
        ...(readTimeout === undefined ? {} : { readTimeout }),
      }),
      // http and https: stock iPXE (every BIOS build, most NIC ROMs) has no TLS.
      viewerProtocolPolicy: ViewerProtocolPolicy.ALLOW_ALL,
      // What iPXE sends; OAC signs them without a body hash.
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      // Scripts are minted per request and artifact answers are short-lived redirects.
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: toFunctions,
      // iPXE never decodes a content coding.
      compress: false,
      functionAssociations: [
        { function: viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST },
      ],
    });

    this.distribution = new Distribution(this, "Distribution", {
      comment: "swiftboot: plain-HTTP front for iPXE",
      defaultBehavior: functionBehavior(props.boot),
      additionalBehaviors: {
        // A miss waits for its fill (cache.fill_wait_ms, 20 s here) before answering.
        "/v1/artifacts/*": functionBehavior(props.artifacts, Duration.seconds(60)),
        // swiftboot's own iPXE binaries (docs/ipxe.md), patched with this front's chain URL.
        "/ipxe/*": functionBehavior(props.artifacts),
        // Reports: POST with a small body (shared/http/routes/callbacks.ts), never cached. All
        // viewer headers but Host (the Function URL's own is needed), so Content-Type arrives;
        // the viewer-request function still overwrites the x-swiftboot-viewer-* headers.
        "/v1/callbacks/*": {
          origin: new FunctionUrlOrigin(props.callbacks),
          viewerProtocolPolicy: ViewerProtocolPolicy.ALLOW_ALL,
          // The only choice that includes POST; the route answers 405 to all but POST.
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: false,
          functionAssociations: [
            { function: viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST },
          ],
        },
        [`/${ARTIFACTS_PREFIX}*`]: {
          origin: S3BucketOrigin.withOriginAccessControl(props.bucket),
          viewerProtocolPolicy: ViewerProtocolPolicy.ALLOW_ALL,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          // Content-addressed objects: cached at the edge; the signature's query is not in the key.
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          trustedKeyGroups: [keyGroup],
          compress: false,
        },
      },
      ...(props.domain === undefined
        ? {}
        : {
            domainNames: [props.domain.name],
            certificate: Certificate.fromCertificateArn(
              this,
              "Certificate",
              props.domain.certificateArn,
            ),
          }),
    });
    this.domainName = props.domain?.name ?? this.distribution.distributionDomainName;
  }

  /** The custom resource that makes the key pair (and its function, role and log group). */
  private keyPair(props: SwiftbootFrontProps): CustomResource {
    const logGroup = new LogGroup(this, "KeyPairLogs", {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, "KeyPairRole", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: "swiftboot front key pair (custom resource)",
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
        resources: [props.secret.secretArn],
      }),
    );
    const fn = new LambdaFunction(this, "KeyPairFunction", {
      role,
      description: "swiftboot: makes the CloudFront key pair, private key into the secret",
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: "index.handler",
      code: Code.fromInline(
        readFileSync(new URL("../front/key-pair.cjs", import.meta.url), "utf8"),
      ),
      memorySize: 256,
      timeout: Duration.seconds(60),
      logGroup,
    });
    return new CustomResource(this, "KeyPair", {
      serviceToken: fn.functionArn,
      resourceType: "Custom::SwiftbootFrontKeyPair",
      properties: { SecretId: props.secret.secretArn },
    });
  }
}
