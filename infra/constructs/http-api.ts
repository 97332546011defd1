import { CfnOutput } from "aws-cdk-lib";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface SwiftbootHttpApiProps {
  boot: IFunction;
  artifacts: IFunction;
  admin: IFunction;
  callbacks: IFunction;
}

/**
 * Optional (context `httpApi=true`): one API Gateway HTTP API in front of the four HTTP
 * functions, routing by path. Its Lambda integration sends the same payload 2.0 events as a
 * Function URL, so the functions need no change; it is what `sam local start-api` serves
 * locally, and one host name for all routes in AWS. Unlike the Function URLs it buffers
 * responses (artifacts up to the integration's payload limit), so the artifacts URL stays the
 * one for large images. Its integrations use Lambda's Invoke API (HTTP APIs cannot stream): the
 * boot and artifacts functions, whose URLs are RESPONSE_STREAM, see that the event did not come
 * through their Function URL and write a buffered payload 2.0 result instead of a stream
 * (functions/aws/handlers/http-streaming.ts).
 */
export class SwiftbootHttpApi extends Construct {
  constructor(scope: Construct, id: string, props: SwiftbootHttpApiProps) {
    super(scope, id);
    const api = new HttpApi(this, "Api", { description: "swiftboot: boot, artifacts, admin" });
    // Payload format 2.0 (the default): the Function URL event shape.
    const integration = (name: string, fn: IFunction) => new HttpLambdaIntegration(name, fn);
    const boot = integration("Boot", props.boot);
    api.addRoutes({ path: "/boot.ipxe", methods: [HttpMethod.GET], integration: boot });
    api.addRoutes({ path: "/boot/{file}", methods: [HttpMethod.GET], integration: boot });
    const artifacts = integration("Artifacts", props.artifacts);
    api.addRoutes({
      path: "/v1/artifacts/{proxy+}",
      methods: [HttpMethod.GET, HttpMethod.HEAD],
      integration: artifacts,
    });
    // swiftboot's own iPXE binaries (docs/ipxe.md), served from the cache bucket.
    api.addRoutes({
      path: "/ipxe/{name}",
      methods: [HttpMethod.GET, HttpMethod.HEAD],
      integration: artifacts,
    });
    const admin = integration("Admin", props.admin);
    api.addRoutes({
      path: "/v1/{proxy+}",
      methods: [HttpMethod.ANY],
      integration: admin,
      authorizer: new HttpIamAuthorizer(),
    });
    // Booted machines report here with nothing but the signed URL (docs/provisioning.md): no
    // SigV4. The callbacks function checks the URL's signature before reading anything, and its
    // role can write only what a report writes.
    api.addRoutes({
      path: "/v1/callbacks/{proxy+}",
      methods: [HttpMethod.POST],
      integration: integration("Callbacks", props.callbacks),
    });
    new CfnOutput(scope, "HttpApiUrl", { value: api.apiEndpoint });
  }
}
