import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { viewerRequestCode } from "./constructs/front.ts";
import { HTTP_API_WITH_FRONT, SwiftbootStack, type SwiftbootStackProps } from "./stack.ts";

/**
 * The synthesized template: resources, their settings, and exactly which IAM actions on which
 * resources each function gets. Bundles are stand-ins (the stack only packages a directory).
 */
let template: Template;
type Json = Record<string, unknown>;

const temporary: string[] = [];

/**
 * The stack synthesized over stand-in bundles, with its assembly in a directory of this test's
 * own (CDK's default is a new temporary directory per App, left behind).
 */
function synthesize(id: string, props: Omit<SwiftbootStackProps, "bundleDir"> = {}): Template {
  const bundleDir = mkdtempSync(join(tmpdir(), "swiftboot-infra-"));
  const outdir = mkdtempSync(join(tmpdir(), "swiftboot-cdk-out-"));
  temporary.push(bundleDir, outdir);
  for (const name of ["boot", "artifacts", "admin", "callbacks", "cache-warmer"]) {
    mkdirSync(join(bundleDir, name));
    writeFileSync(join(bundleDir, name, "index.mjs"), "export const handler = () => {};\n");
  }
  return Template.fromStack(new SwiftbootStack(new App({ outdir }), id, { ...props, bundleDir }));
}

beforeAll(() => {
  template = synthesize("Test");
}, 60_000);

afterAll(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const FUNCTIONS = [
  "BootFunction",
  "ArtifactsFunction",
  "AdminFunction",
  "CallbacksFunction",
  "CacheWarmerFunction",
];

function resource(logicalId: string): Json {
  const found = template.toJSON().Resources[logicalId] as Json | undefined;
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

/** Every statement of the policies attached to a function's role. */
function statementsOf(functionId: string): Json[] {
  const role = (resource(functionId).Properties as { Role: { "Fn::GetAtt": [string, string] } })
    .Role["Fn::GetAtt"][0];
  const policies = template.findResources("AWS::IAM::Policy");
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
}

function actionsOf(functionId: string): string[] {
  return statementsOf(functionId)
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[])
    .sort();
}

describe("table", () => {
  it("is pk/sk, on demand, with PITR, TTL on ttl, a stream and the gsi1 index", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      GlobalSecondaryIndexes: [
        {
          IndexName: "gsi1",
          KeySchema: [
            { AttributeName: "gsi1pk", KeyType: "HASH" },
            { AttributeName: "gsi1sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
    template.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain" });
  });
});

describe("cache bucket", () => {
  it("is private, encrypted, TLS-only, and cleans up after itself", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({ Prefix: "artifacts/", ExpirationInDays: 30, Status: "Enabled" }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });
});

describe("functions", () => {
  it.each(FUNCTIONS)("%s is nodejs22.x on arm64 with its own log group", (id) => {
    const props = resource(id).Properties as Json;
    expect(props).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
    });
    expect(props.LoggingConfig).toMatchObject({ LogGroup: { Ref: expect.any(String) } });
  });

  it("sets memory and timeout per function", () => {
    const sizes = Object.fromEntries(
      FUNCTIONS.map((id) => {
        const p = resource(id).Properties as { MemorySize: number; Timeout: number };
        return [id, [p.MemorySize, p.Timeout]];
      }),
    );
    expect(sizes).toEqual({
      BootFunction: [512, 10],
      ArtifactsFunction: [1024, 900],
      AdminFunction: [256, 30],
      CallbacksFunction: [256, 10],
      CacheWarmerFunction: [1024, 900],
    });
  });

  it("keeps secrets out of the environment: a pointer to the secret instead", () => {
    for (const id of FUNCTIONS) {
      const variables = (resource(id).Properties as { Environment: { Variables: Json } })
        .Environment.Variables;
      expect(variables.SWIFTBOOT_SECRETS_ARN).toEqual({ Ref: expect.stringMatching(/^Secrets/) });
      expect(variables.SWIFTBOOT_SECRETS_MAX_AGE).toBe("300");
      for (const name of Object.keys(variables)) {
        expect(name).not.toMatch(/SIGNING_KEY|TEMP_URL_KEY|TOKENS/);
      }
    }
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: {
        GenerateStringKey: "artifacts.signing_key",
        SecretStringTemplate: JSON.stringify({ "swift.temp_url_key": "", "admin.tokens": "" }),
      },
    });
  });

  it("retains logs for a month", () => {
    const groups = template.findResources("AWS::Logs::LogGroup");
    // The five functions' and the front's key-pair custom resource's.
    expect(Object.keys(groups)).toHaveLength(6);
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
  });
});

describe("function URLs", () => {
  const urlOf = (id: string) => {
    const urls = template.findResources("AWS::Lambda::Url", {
      Properties: { TargetFunctionArn: { "Fn::GetAtt": [id, "Arn"] } },
    });
    return Object.values(urls)[0]?.Properties as Json | undefined;
  };

  it("makes every URL but the callbacks' AWS_IAM: boot and artifacts behind the front, admin signed", () => {
    // Both stream: the boot script ends before its history write (functions/aws/boot.ts).
    expect(urlOf("BootFunction")).toMatchObject({
      AuthType: "AWS_IAM",
      InvokeMode: "RESPONSE_STREAM",
    });
    expect(urlOf("ArtifactsFunction")).toMatchObject({
      AuthType: "AWS_IAM",
      InvokeMode: "RESPONSE_STREAM",
    });
    expect(urlOf("AdminFunction")).toMatchObject({ AuthType: "AWS_IAM" });
    expect(urlOf("CacheWarmerFunction")).toBeUndefined();
    // Reports are POSTs, which Origin Access Control cannot pass for busybox wget or curl: the
    // callback URL's own HMAC is the proof (docs/provisioning.md), as for artifact URLs.
    expect(urlOf("CallbacksFunction")).toMatchObject({ AuthType: "NONE" });
    expect(urlOf("CallbacksFunction")?.InvokeMode).toBeUndefined();
    const open = Object.values(template.findResources("AWS::Lambda::Url")).filter(
      (url) => url.Properties.AuthType !== "AWS_IAM",
    );
    expect(open).toHaveLength(1);
  });

  it("leaves boot and artifacts open without the front (context front=false)", () => {
    const bare = synthesize("NoFront", { front: false });
    const bareUrl = (id: string) =>
      Object.values(
        bare.findResources("AWS::Lambda::Url", {
          Properties: { TargetFunctionArn: { "Fn::GetAtt": [id, "Arn"] } },
        }),
      )[0]?.Properties as Json | undefined;
    expect(bareUrl("BootFunction")).toMatchObject({
      AuthType: "NONE",
      InvokeMode: "RESPONSE_STREAM",
    });
    expect(bareUrl("ArtifactsFunction")).toMatchObject({
      AuthType: "NONE",
      InvokeMode: "RESPONSE_STREAM",
    });
    expect(bareUrl("AdminFunction")).toMatchObject({ AuthType: "AWS_IAM" });
    expect(bareUrl("CallbacksFunction")).toMatchObject({ AuthType: "NONE" });
    bare.resourceCountIs("AWS::CloudFront::Distribution", 0);
    bare.hasOutput("ChainUrl", {
      Value: {
        "Fn::Join": [
          "",
          [
            { "Fn::GetAtt": [Match.stringLikeRegexp("^BootFunctionFunctionUrl"), "FunctionUrl"] },
            "boot.ipxe",
          ],
        ],
      },
    });
    const boot = bare.toJSON().Resources.BootFunction.Properties.Environment.Variables as Json;
    expect(boot.SWIFTBOOT_FRONT_VIEWER_HEADERS).toBeUndefined();
    expect(boot.SWIFTBOOT_FRONT_KEY_PAIR_ID).toBeUndefined();
  });
});

describe("least privilege", () => {
  it("grants each function exactly the actions its code uses", () => {
    const logs = ["logs:CreateLogStream", "logs:PutLogEvents"];
    expect(actionsOf("BootFunction")).toEqual(
      [
        ...logs,
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "secretsmanager:GetSecretValue",
      ].sort(),
    );
    expect(actionsOf("ArtifactsFunction")).toEqual(
      [
        ...logs,
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "secretsmanager:GetSecretValue",
      ].sort(),
    );
    expect(actionsOf("AdminFunction")).toEqual(
      [
        ...logs,
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "secretsmanager:GetSecretValue",
      ].sort(),
    );
    // A report: read the node (claims, images), write it back with its claims and usage items,
    // record it in the boot history, clear a discovered entry. No Query, no UpdateItem.
    expect(actionsOf("CallbacksFunction")).toEqual(
      [
        ...logs,
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "secretsmanager:GetSecretValue",
      ].sort(),
    );
    expect(actionsOf("CacheWarmerFunction")).toEqual(
      [
        ...logs,
        "dynamodb:DeleteItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "dynamodb:PutItem",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "secretsmanager:GetSecretValue",
      ].sort(),
    );
  });

  it("never grants a wildcard resource", () => {
    for (const id of FUNCTIONS) {
      for (const statement of statementsOf(id)) {
        const resources = (
          Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]
        ) as unknown[];
        expect(resources).not.toContain("*");
        expect(statement.Effect).toBe("Allow");
      }
    }
    // No managed policies either (AWSLambdaBasicExecutionRole covers every log group).
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it("confines table writes to their own key prefixes", () => {
    const leadingKeys = (id: string) =>
      statementsOf(id)
        .filter((s) => JSON.stringify(s.Action).includes("dynamodb:PutItem"))
        .map((s) => (s.Condition as Json | undefined)?.["ForAllValues:StringLike"]);
    expect(leadingKeys("BootFunction")).toEqual([{ "dynamodb:LeadingKeys": ["NODE#*"] }]);
    expect(leadingKeys("ArtifactsFunction")).toEqual([{ "dynamodb:LeadingKeys": ["LOCK#*"] }]);
    expect(leadingKeys("CacheWarmerFunction")).toEqual([{ "dynamodb:LeadingKeys": ["LOCK#*"] }]);
    // A report writes a node transaction (node, its claims, its images' USEDBY# items) and the
    // boot history; it deletes only the DISC# entry of a machine it enrolled.
    expect(leadingKeys("CallbacksFunction")).toEqual([
      { "dynamodb:LeadingKeys": ["NODE#*", "MAC#*", "UUID#*", "IMAGE#*"] },
    ]);
    const deletes = statementsOf("CallbacksFunction").filter((s) =>
      JSON.stringify(s.Action).includes("dynamodb:DeleteItem"),
    );
    expect(
      deletes.map((s) => (s.Condition as Json | undefined)?.["ForAllValues:StringLike"]),
    ).toEqual([{ "dynamodb:LeadingKeys": ["DISC#*"] }]);
    // The boot function records unknown machines (docs/provisioning.md): DISC# items only.
    const updates = statementsOf("BootFunction").filter((s) =>
      JSON.stringify(s.Action).includes("dynamodb:UpdateItem"),
    );
    expect(
      updates.map((s) => (s.Condition as Json | undefined)?.["ForAllValues:StringLike"]),
    ).toEqual([{ "dynamodb:LeadingKeys": ["DISC#*"] }]);
  });

  it("limits bucket access to the artifacts prefix", () => {
    const s3 = statementsOf("ArtifactsFunction").filter((s) =>
      JSON.stringify(s.Action).includes("s3:"),
    );
    expect(JSON.stringify(s3)).toContain("/artifacts/*");
    expect(s3.find((s) => s.Action === "s3:ListBucket")?.Condition).toEqual({
      StringLike: { "s3:prefix": ["artifacts/*"] },
    });
  });
});

describe("cache warmer", () => {
  it("reads the table stream, image writes only, reporting failures per record", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: "CacheWarmerFunction" },
      EventSourceArn: { "Fn::GetAtt": [Match.anyValue(), "StreamArn"] },
      StartingPosition: "LATEST",
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ["INSERT", "MODIFY"],
              dynamodb: { Keys: { pk: { S: [{ prefix: "IMAGE#" }] }, sk: { S: ["IMAGE"] } } },
            }),
          },
        ],
      },
    });
  });
});

describe("parameters", () => {
  it("exposes use_swift, the Swift location and the durations", () => {
    const parameters = template.toJSON().Parameters as Record<string, Json>;
    expect(Object.keys(parameters)).toEqual(
      expect.arrayContaining([
        "UseSwift",
        "PublicUrl",
        "SwiftEndpointUrl",
        "SwiftAccount",
        "SwiftContainer",
        "TempUrlDuration",
        "ArtifactUrlDuration",
        "LogLevel",
      ]),
    );
    expect(parameters.UseSwift).toMatchObject({ AllowedValues: ["true", "false"] });
    const boot = resource("BootFunction").Properties as { Environment: { Variables: Json } };
    expect(boot.Environment.Variables).toMatchObject({
      SWIFTBOOT_IPXE_USE_SWIFT: { Ref: "UseSwift" },
      SWIFTBOOT_SWIFT_ENDPOINT_URL: { Ref: "SwiftEndpointUrl" },
      SWIFTBOOT_SWIFT_TEMP_URL_DURATION: { Ref: "TempUrlDuration" },
    });
  });
});

describe("optional HTTP API", () => {
  it("routes boot, artifacts, callbacks and (IAM-signed) admin paths to their functions", () => {
    const withApi = synthesize("WithApi", { httpApi: true, front: false });
    const routes = Object.values(withApi.findResources("AWS::ApiGatewayV2::Route")).map(
      (r) => `${r.Properties.RouteKey} ${r.Properties.AuthorizationType ?? "NONE"}`,
    );
    expect(routes.sort()).toEqual(
      [
        "ANY /v1/{proxy+} AWS_IAM",
        "GET /boot.ipxe NONE",
        "GET /boot/{file} NONE",
        "GET /v1/artifacts/{proxy+} NONE",
        "HEAD /v1/artifacts/{proxy+} NONE",
        "POST /v1/callbacks/{proxy+} NONE", // signed callback URLs (docs/provisioning.md)
        // swiftboot's own iPXE binaries (docs/ipxe.md), on the artifacts function.
        "GET /ipxe/{name} NONE",
        "HEAD /ipxe/{name} NONE",
      ].sort(),
    );
    withApi.resourcePropertiesCountIs(
      "AWS::ApiGatewayV2::Integration",
      { PayloadFormatVersion: "2.0" },
      4,
    );
    // Plain Lambda proxy integrations (the Invoke API: HTTP APIs do not stream), to the same
    // functions as the RESPONSE_STREAM URLs; those functions answer such an invocation with a
    // buffered payload (functions/aws/handlers/http-streaming.ts, test/integration/lambda/boot.test.ts).
    withApi.resourcePropertiesCountIs(
      "AWS::ApiGatewayV2::Integration",
      { IntegrationType: "AWS_PROXY" },
      4,
    );
    // Reports go to the callbacks function, not the admin API's.
    const resources = withApi.toJSON().Resources as Record<string, { Properties: Json }>;
    const callbackRoute = Object.values(resources).find(
      (r) => r.Properties?.RouteKey === "POST /v1/callbacks/{proxy+}",
    );
    const target = JSON.stringify(callbackRoute?.Properties.Target);
    const integrationId = target.match(/"Ref":"(\w+)"/)?.[1] as string;
    expect(JSON.stringify(resources[integrationId]?.Properties.IntegrationUri)).toContain(
      "CallbacksFunction",
    );
    // Without the context flag there is none.
    template.resourceCountIs("AWS::ApiGatewayV2::Api", 0);
  });

  it("is refused with the front, whose signed artifact redirects it cannot route", () => {
    expect(() => synthesize("WithApiAndFront", { httpApi: true })).toThrow(HTTP_API_WITH_FRONT);
    expect(() => synthesize("WithApiAndFrontExplicit", { httpApi: true, front: true })).toThrow(
      /httpApi=true cannot be combined with the CloudFront front.*-c front=false/,
    );
  });
});

describe("CloudFront front", () => {
  const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
  const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
  type Behavior = Json & { PathPattern?: string; TargetOriginId: string };
  type Origin = Json & { Id: string; DomainName: unknown; OriginAccessControlId?: unknown };

  const distribution = () => {
    const found = Object.values(template.findResources("AWS::CloudFront::Distribution"));
    expect(found).toHaveLength(1);
    return (found[0] as { Properties: { DistributionConfig: Json } }).Properties
      .DistributionConfig as {
      DefaultCacheBehavior: Behavior;
      CacheBehaviors: Behavior[];
      Origins: Origin[];
      Aliases?: string[];
    };
  };
  const behaviors = () => {
    const config = distribution();
    return new Map<string, Behavior>([
      ["default", config.DefaultCacheBehavior],
      ...config.CacheBehaviors.map((b) => [b.PathPattern as string, b] as [string, Behavior]),
    ]);
  };
  const originOf = (behavior: Behavior | undefined): Origin => {
    const origin = distribution().Origins.find((o) => o.Id === behavior?.TargetOriginId);
    if (origin === undefined) throw new Error("behaviour without origin");
    return origin;
  };
  const oacOf = (origin: Origin): Json => {
    const ref = origin.OriginAccessControlId as { "Fn::GetAtt": [string, string] };
    return resource(ref["Fn::GetAtt"][0]).Properties as Json;
  };

  it("routes the boot default, /v1/artifacts/*, /ipxe/* and /artifacts/* over plain HTTP too", () => {
    const all = behaviors();
    expect([...all.keys()].sort()).toEqual([
      "/artifacts/*",
      "/ipxe/*",
      "/v1/artifacts/*",
      "/v1/callbacks/*",
      "default",
    ]);
    for (const [name, behavior] of all) {
      if (name === "/v1/callbacks/*") continue; // POST: below

      expect(behavior.ViewerProtocolPolicy).toBe("allow-all");
      expect(behavior.AllowedMethods).toEqual(["GET", "HEAD"]);
      expect(behavior.Compress).toBe(false);
    }
    expect(JSON.stringify(originOf(all.get("default")).DomainName)).toMatch(
      /BootFunctionFunctionUrl\w+","FunctionUrl"/,
    );
    expect(JSON.stringify(originOf(all.get("/v1/artifacts/*")).DomainName)).toMatch(
      /ArtifactsFunctionFunctionUrl\w+","FunctionUrl"/,
    );
    // swiftboot's own iPXE binaries come from the artifacts function (docs/ipxe.md).
    expect(JSON.stringify(originOf(all.get("/ipxe/*")).DomainName)).toMatch(
      /ArtifactsFunctionFunctionUrl\w+","FunctionUrl"/,
    );
    expect(originOf(all.get("/artifacts/*")).DomainName).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/^CacheBucket/), "RegionalDomainName"],
    });
    // A fill may be waited for (20 s) before the artifacts function answers.
    expect(originOf(all.get("/v1/artifacts/*")).CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: "https-only",
      OriginReadTimeout: 60,
    });
    expect(resource("ArtifactsFunction").Properties).toMatchObject({
      Environment: { Variables: { SWIFTBOOT_CACHE_FILL_WAIT_MS: "20000" } },
    });
  });

  it("never caches scripts or redirects, passes whole queries and the viewer headers", () => {
    const all = behaviors();
    for (const name of ["default", "/v1/artifacts/*", "/ipxe/*"]) {
      const behavior = all.get(name) as Behavior;
      expect(behavior.CachePolicyId).toBe(CACHING_DISABLED);
      expect(behavior.FunctionAssociations).toEqual([
        {
          EventType: "viewer-request",
          FunctionARN: {
            "Fn::GetAtt": [expect.stringMatching(/^FrontViewerRequest/), "FunctionARN"],
          },
        },
      ]);
      const policyId = (behavior.OriginRequestPolicyId as { Ref: string }).Ref;
      expect(resource(policyId).Properties).toEqual({
        OriginRequestPolicyConfig: {
          Name: expect.any(String),
          Comment: expect.any(String),
          QueryStringsConfig: { QueryStringBehavior: "all" },
          CookiesConfig: { CookieBehavior: "none" },
          HeadersConfig: {
            HeaderBehavior: "whitelist",
            Headers: [
              "x-swiftboot-viewer-host",
              "x-swiftboot-viewer-address",
              "CloudFront-Forwarded-Proto",
              "User-Agent",
            ],
          },
        },
      });
    }
    // Cached objects are content-addressed: cached at the edge, served on a signature only.
    const objects = all.get("/artifacts/*") as Behavior;
    expect(objects.CachePolicyId).toBe(CACHING_OPTIMIZED);
    expect(objects.TrustedKeyGroups).toEqual([{ Ref: expect.stringMatching(/^FrontKeyGroup/) }]);
    expect(objects.FunctionAssociations).toBeUndefined();
    expect(all.get("default")?.TrustedKeyGroups).toBeUndefined();
  });

  it("takes machines' reports: POST on /v1/callbacks/* to the callbacks URL, never cached", () => {
    const callbacks = behaviors().get("/v1/callbacks/*") as Behavior;
    expect(callbacks).toMatchObject({
      ViewerProtocolPolicy: "allow-all",
      AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
      CachePolicyId: CACHING_DISABLED,
      // Managed AllViewerExceptHostHeader: Content-Type and the body reach the function, and
      // Host stays the Function URL's own.
      OriginRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
      Compress: false,
      FunctionAssociations: [
        {
          EventType: "viewer-request",
          FunctionARN: {
            "Fn::GetAtt": [expect.stringMatching(/^FrontViewerRequest/), "FunctionARN"],
          },
        },
      ],
    });
    expect(callbacks.TrustedKeyGroups).toBeUndefined();
    const origin = originOf(callbacks);
    expect(JSON.stringify(origin.DomainName)).toMatch(
      /CallbacksFunctionFunctionUrl\w+","FunctionUrl"/,
    );
    // No Origin Access Control: it would sign the POST without the body hash Lambda requires.
    expect(origin.OriginAccessControlId).toBeUndefined();
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: "https-only" });
    // The callbacks function believes no viewer header: its URL is open to direct calls.
    const variables = (
      resource("CallbacksFunction").Properties as { Environment: { Variables: Json } }
    ).Environment.Variables;
    expect(variables.SWIFTBOOT_FRONT_VIEWER_HEADERS).toBeUndefined();
    expect(variables.SWIFTBOOT_FRONT_KEY_PAIR_ID).toEqual(expect.anything());
  });

  it("reaches both Function URLs and the bucket through Origin Access Control", () => {
    const all = behaviors();
    expect(oacOf(originOf(all.get("default")))).toMatchObject({
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: "lambda",
        SigningBehavior: "always",
        SigningProtocol: "sigv4",
      },
    });
    expect(oacOf(originOf(all.get("/v1/artifacts/*")))).toMatchObject({
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: "lambda",
        SigningBehavior: "always",
      },
    });
    expect(oacOf(originOf(all.get("/artifacts/*")))).toMatchObject({
      OriginAccessControlConfig: { OriginAccessControlOriginType: "s3", SigningBehavior: "always" },
    });
  });

  it("leaves nothing public but the callback URL: only this distribution may invoke the functions or read the bucket", () => {
    const distributionArn = {
      "Fn::Join": [
        "",
        [
          "arn:",
          { Ref: "AWS::Partition" },
          ":cloudfront::",
          { Ref: "AWS::AccountId" },
          ":distribution/",
          { Ref: expect.stringMatching(/^FrontDistribution/) },
        ],
      ],
    };
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission"));
    expect(permissions.length).toBeGreaterThan(0);
    const invoked = new Set<string>();
    // The one public URL: the callbacks function's, for reports only (its URL is its proof), and
    // invocable by anyone only through that URL, never by the Invoke API.
    const callbacksArn = { "Fn::GetAtt": ["CallbacksFunction", "Arn"] };
    const isPublic = (p: Json) => p.Principal === "*";
    expect(permissions.map((permission) => permission.Properties as Json).filter(isPublic)).toEqual(
      [
        {
          Action: "lambda:InvokeFunctionUrl",
          FunctionName: callbacksArn,
          FunctionUrlAuthType: "NONE",
          Principal: "*",
        },
        {
          Action: "lambda:InvokeFunction",
          FunctionName: callbacksArn,
          InvokedViaFunctionUrl: true,
          Principal: "*",
        },
      ],
    );
    for (const permission of permissions.filter((p) => !isPublic(p.Properties as Json))) {
      const p = permission.Properties as Json;
      expect(p.Principal).toBe("cloudfront.amazonaws.com");
      expect(p.SourceArn).toEqual(distributionArn);
      expect(p.FunctionUrlAuthType).not.toBe("NONE");
      invoked.add(`${JSON.stringify(p.FunctionName).match(/(\w+)FunctionUrl/)?.[1]} ${p.Action}`);
    }
    expect([...invoked].sort()).toEqual([
      "ArtifactsFunction lambda:InvokeFunction",
      "ArtifactsFunction lambda:InvokeFunctionUrl",
      "BootFunction lambda:InvokeFunction",
      "BootFunction lambda:InvokeFunctionUrl",
    ]);
    const statements = Object.values(template.findResources("AWS::S3::BucketPolicy")).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Json[],
    );
    for (const statement of statements.filter((s) => s.Effect === "Allow")) {
      expect(statement).toMatchObject({
        Action: "s3:GetObject",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
      });
    }
    template.resourceCountIs("AWS::ApiGatewayV2::Api", 0);
  });

  it("signs with a key pair made at deploy time, its private key kept in the secret", () => {
    const keyGroups = Object.values(template.findResources("AWS::CloudFront::KeyGroup"));
    expect(keyGroups).toHaveLength(1);
    const items = (keyGroups[0] as { Properties: { KeyGroupConfig: { Items: { Ref: string }[] } } })
      .Properties.KeyGroupConfig.Items;
    expect(items).toHaveLength(1);
    const publicKeyId = items[0]?.Ref as string;
    const publicKey = resource(publicKeyId).Properties as {
      PublicKeyConfig: { EncodedKey: { "Fn::GetAtt": [string, string] } };
    };
    const [keyPairId, attribute] = publicKey.PublicKeyConfig.EncodedKey["Fn::GetAtt"];
    expect(attribute).toBe("PublicKey");
    const keyPair = resource(keyPairId);
    expect(keyPair.Type).toBe("Custom::SwiftbootFrontKeyPair");
    expect(keyPair.Properties).toMatchObject({
      SecretId: { Ref: expect.stringMatching(/^Secrets/) },
    });
    // Its function may read and write that secret and its own log group, nothing else.
    const serviceToken = (keyPair.Properties as { ServiceToken: { "Fn::GetAtt": [string] } })
      .ServiceToken["Fn::GetAtt"][0];
    expect(
      (resource(serviceToken).Properties as { Code: { ZipFile: string } }).Code.ZipFile,
    ).toContain('const FIELD = "front.private_key";');
    expect(actionsOf(serviceToken)).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]);
    for (const statement of statementsOf(serviceToken)) {
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
    // Every function reads that secret, so each gets the key's id; only boot and artifacts
    // trust the viewer headers.
    for (const id of FUNCTIONS) {
      const variables = (resource(id).Properties as { Environment: { Variables: Json } })
        .Environment.Variables;
      expect(variables.SWIFTBOOT_FRONT_KEY_PAIR_ID).toEqual({ Ref: publicKeyId });
      expect(variables.SWIFTBOOT_FRONT_VIEWER_HEADERS).toBe(
        id === "BootFunction" || id === "ArtifactsFunction" ? "true" : undefined,
      );
    }
  });

  it("maps the account's principals to admin unless AdminPrincipals names others", () => {
    const variables = (resource("AdminFunction").Properties as { Environment: { Variables: Json } })
      .Environment.Variables;
    const value = variables.SWIFTBOOT_ADMIN_IAM_PRINCIPALS as {
      "Fn::If": [string, unknown, unknown];
    };
    expect(value["Fn::If"][0]).toBe("AdminPrincipalsEmpty");
    expect(JSON.stringify(value["Fn::If"][1])).toContain(":iam::");
    expect(JSON.stringify(value["Fn::If"][1])).toContain(":sts::");
    expect(value["Fn::If"][2]).toEqual({ Ref: "AdminPrincipals" });
    expect(template.toJSON().Conditions.AdminPrincipalsEmpty).toEqual({
      "Fn::Equals": [{ Ref: "AdminPrincipals" }, ""],
    });
  });

  it("outputs an http ChainUrl on the front", () => {
    template.hasOutput("ChainUrl", {
      Value: {
        "Fn::Join": [
          "",
          [
            "http://",
            { "Fn::GetAtt": [Match.stringLikeRegexp("^FrontDistribution"), "DomainName"] },
            "/boot.ipxe",
          ],
        ],
      },
    });
    template.hasOutput("FrontDomainName", Match.anyValue());
    template.hasOutput("AdminFunctionUrl", Match.anyValue());
  });

  it("takes a custom domain with its certificate, in the ChainUrl and the viewer function", () => {
    const custom = synthesize("Custom", {
      frontDomain: {
        name: "boot.example.com",
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234",
      },
    });
    custom.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Aliases: ["boot.example.com"],
        ViewerCertificate: Match.objectLike({
          AcmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234",
        }),
      }),
    });
    custom.hasOutput("ChainUrl", { Value: "http://boot.example.com/boot.ipxe" });
    custom.hasResourceProperties("AWS::CloudFront::Function", {
      FunctionCode: Match.stringLikeRegexp('var ALIASES = \\["boot.example.com"\\];'),
      FunctionConfig: Match.objectLike({ Runtime: "cloudfront-js-2.0" }),
    });
  });
});

describe("the front's viewer-request function", () => {
  const run = (aliases: string[], headers: Record<string, string>) => {
    const code = viewerRequestCode(aliases);
    const event = {
      context: { distributionDomainName: "d111111abcdef8.cloudfront.net" },
      viewer: { ip: "198.51.100.7" },
      request: {
        method: "GET",
        uri: "/boot.ipxe",
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { value: v }])),
      },
    };
    return runInNewContext(`${code}\nhandler(event);`, { event }) as {
      headers: Record<string, { value: string }>;
    };
  };

  it("passes the distribution's own name and the viewer's address", () => {
    const out = run([], { host: "d111111abcdef8.cloudfront.net" });
    expect(out.headers["x-swiftboot-viewer-host"]).toEqual({
      value: "d111111abcdef8.cloudfront.net",
    });
    expect(out.headers["x-swiftboot-viewer-address"]).toEqual({ value: "198.51.100.7" });
  });

  it("overwrites forged viewer headers and never passes a Host that is not the front's", () => {
    const out = run(["boot.example.com"], {
      host: "evil.example.net",
      "x-swiftboot-viewer-host": "evil.example.net",
      "x-swiftboot-viewer-address": "10.0.0.1",
    });
    expect(out.headers["x-swiftboot-viewer-host"]).toEqual({
      value: "d111111abcdef8.cloudfront.net",
    });
    expect(out.headers["x-swiftboot-viewer-address"]).toEqual({ value: "198.51.100.7" });
    expect(
      run(["boot.example.com"], { host: "BOOT.example.com" }).headers["x-swiftboot-viewer-host"],
    ).toEqual({
      value: "boot.example.com",
    });
    expect(run([], {}).headers["x-swiftboot-viewer-host"]).toEqual({
      value: "d111111abcdef8.cloudfront.net",
    });
  });
});
