import { join } from "node:path";
import { CfnOutput, type Duration, RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  Architecture,
  type CfnFunction,
  Code,
  type FunctionUrl,
  type FunctionUrlAuthType,
  type InvokeMode,
  Function as LambdaFunction,
  Runtime,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export interface SwiftbootFunctionProps {
  /** The bundle's directory name under `bundleDir` (scripts/build.ts: dist/aws/<name>/). */
  bundle: string;
  /** Where `npm run build` put the Lambda bundles. */
  bundleDir: string;
  /** Fixed CloudFormation logical id, so `sam local invoke <id>` and docs can name it. */
  logicalId: string;
  description: string;
  memoryMiB: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Everything the function may do; nothing is granted otherwise. */
  statements: PolicyStatement[];
  logRetention: RetentionDays;
  /** A Function URL, with its auth type and invoke mode. */
  url?: { authType: FunctionUrlAuthType; invokeMode?: InvokeMode };
}

/**
 * One swiftboot function: a prebuilt esbuild bundle (not NodejsFunction: the build splits lazily
 * loaded chunks and trims zod, which NodejsFunction's bundling cannot), nodejs22.x on arm64
 * (Graviton: about 20% cheaper per GB-second than x86 for the same work), its own log group with
 * a retention, and exactly the permissions listed.
 */
export class SwiftbootFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly url?: string;
  /** The Function URL itself (an origin of the CloudFront front). */
  readonly functionUrl?: FunctionUrl;

  constructor(scope: Construct, id: string, props: SwiftbootFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log
    // group in the account: this one may write to its own log group only.
    const role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `swiftboot ${props.bundle} function`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.fn = new LambdaFunction(this, "Function", {
      role,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: "index.handler",
      code: Code.fromAsset(join(props.bundleDir, props.bundle), { exclude: ["*.map"] }),
      memorySize: props.memoryMiB,
      timeout: props.timeout,
      environment: props.environment,
      logGroup,
    });
    (this.fn.node.defaultChild as CfnFunction).overrideLogicalId(props.logicalId);
    for (const statement of props.statements) role.addToPolicy(statement);
    if (props.url !== undefined) {
      const url = this.fn.addFunctionUrl({
        authType: props.url.authType,
        ...(props.url.invokeMode === undefined ? {} : { invokeMode: props.url.invokeMode }),
      });
      this.url = url.url;
      this.functionUrl = url;
      new CfnOutput(scope, `${props.logicalId}Url`, { value: url.url });
    }
  }
}
