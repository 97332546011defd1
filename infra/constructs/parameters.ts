import { Aws, CfnCondition, CfnParameter, Fn, type Stack } from "aws-cdk-lib";

/**
 * Deploy-time settings as CloudFormation parameters, so one synthesized template serves every
 * installation (`cdk deploy --parameters UseSwift=true ...`, `sam local invoke
 * --parameter-overrides ...`). They become SWIFTBOOT_* variables (docs/configuration.md); an
 * empty string leaves the option unset.
 */
export interface SwiftbootParameters {
  useSwift: CfnParameter;
  publicUrl: CfnParameter;
  swiftEndpointUrl: CfnParameter;
  swiftAccount: CfnParameter;
  swiftContainer: CfnParameter;
  tempUrlDuration: CfnParameter;
  artifactUrlDuration: CfnParameter;
  logLevel: CfnParameter;
  adminPrincipals: CfnParameter;
}

export function defineParameters(stack: Stack): SwiftbootParameters {
  const text = (id: string, description: string, defaultValue = "") =>
    new CfnParameter(stack, id, { type: "String", default: defaultValue, description });
  const seconds = (id: string, description: string, defaultValue: number, max: number) =>
    new CfnParameter(stack, id, {
      type: "Number",
      default: defaultValue,
      minValue: 1,
      maxValue: max,
      description,
    });
  return {
    useSwift: new CfnParameter(stack, "UseSwift", {
      type: "String",
      default: "false",
      allowedValues: ["true", "false"],
      description:
        "ipxe.use_swift: true serves Swift temp URLs; false serves swiftboot's signed artifact URLs from the S3 cache.",
    }),
    publicUrl: text(
      "PublicUrl",
      "ipxe.public_url: the base URL machines use (e.g. an http:// CloudFront or proxy name in front of the Function URL). Empty: the Function URL (https).",
    ),
    swiftEndpointUrl: text(
      "SwiftEndpointUrl",
      "swift.endpoint_url, e.g. http://swift.example:8080",
    ),
    swiftAccount: text("SwiftAccount", "swift.account, e.g. AUTH_test"),
    swiftContainer: text("SwiftContainer", "swift.container for images that name none"),
    tempUrlDuration: seconds("TempUrlDuration", "swift.temp_url_duration in seconds", 300, 86_400),
    artifactUrlDuration: seconds(
      "ArtifactUrlDuration",
      "artifacts.url_duration in seconds",
      300,
      86_400,
    ),
    adminPrincipals: text(
      "AdminPrincipals",
      "admin.iam_principals: who may use the admin API, <read|admin>:<IAM ARN, may end in *>, comma-separated. Empty: every principal of this account that IAM lets invoke the admin Function URL has scope admin.",
    ),
    logLevel: new CfnParameter(stack, "LogLevel", {
      type: "String",
      default: "info",
      allowedValues: ["debug", "info", "warn", "error"],
      description: "log.level",
    }),
  };
}

/**
 * `admin.iam_principals` for the admin function: the AdminPrincipals parameter, or when it is
 * empty the account's own IAM users and roles (and their sessions) with scope admin. The admin
 * Function URL is AWS_IAM, so only principals IAM allows to invoke it get that far.
 */
export function adminPrincipals(stack: Stack, params: SwiftbootParameters): string {
  const empty = new CfnCondition(stack, "AdminPrincipalsEmpty", {
    expression: Fn.conditionEquals(params.adminPrincipals.valueAsString, ""),
  });
  const account = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:*`;
  const sessions = `arn:${Aws.PARTITION}:sts::${Aws.ACCOUNT_ID}:*`;
  return Fn.conditionIf(
    empty.logicalId,
    `admin:${account},admin:${sessions}`,
    params.adminPrincipals.valueAsString,
  ).toString();
}
