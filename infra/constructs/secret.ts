import { RemovalPolicy } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

/**
 * swiftboot's secret options, one JSON document read by the functions at cold start
 * (functions/aws/environment/secrets.ts): the artifact signing key is generated here; the Swift temp URL
 * key is the operator's (it must match Swift's), so it is left empty to be filled in with
 * `aws secretsmanager put-secret-value` (docs/deploy.md), as are the admin API's token hashes.
 */
export class SwiftbootSecret extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new Secret(this, "Secret", {
      description:
        "swiftboot secret options: artifacts.signing_key, swift.temp_url_key, admin.tokens",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ "swift.temp_url_key": "", "admin.tokens": "" }),
        generateStringKey: "artifacts.signing_key",
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
