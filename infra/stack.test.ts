import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SwiftbootStack, type SwiftbootStackProps } from "./stack.ts";

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
  for (const name of ["boot", "artifacts", "admin", "cache-warmer"]) {
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

const FUNCTIONS = ["BootFunction", "ArtifactsFunction", "AdminFunction", "CacheWarmerFunction"];

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
    expect(Object.keys(groups)).toHaveLength(4);
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

  it("leaves boot and artifacts open (iPXE cannot sign) and makes admin sign with SigV4", () => {
    expect(urlOf("BootFunction")).toMatchObject({ AuthType: "NONE" });
    expect(urlOf("BootFunction")?.InvokeMode).toBeUndefined();
    expect(urlOf("ArtifactsFunction")).toMatchObject({
      AuthType: "NONE",
      InvokeMode: "RESPONSE_STREAM",
    });
    expect(urlOf("AdminFunction")).toMatchObject({ AuthType: "AWS_IAM" });
    expect(urlOf("CacheWarmerFunction")).toBeUndefined();
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
  it("routes boot, artifacts and (IAM-signed) admin paths to their functions", () => {
    const withApi = synthesize("WithApi", { httpApi: true });
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
        // swiftboot's own iPXE binaries (docs/ipxe.md), on the artifacts function.
        "GET /ipxe/{name} NONE",
        "HEAD /ipxe/{name} NONE",
      ].sort(),
    );
    withApi.resourcePropertiesCountIs(
      "AWS::ApiGatewayV2::Integration",
      { PayloadFormatVersion: "2.0" },
      3,
    );
    // Without the context flag there is none.
    template.resourceCountIs("AWS::ApiGatewayV2::Api", 0);
  });
});
