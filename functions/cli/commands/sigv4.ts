import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { API_AWS_REGION_ENV } from "../../../shared/config/index.ts";
import { CliFailure } from "../io.ts";

/**
 * SigV4 for the admin API on AWS, whose Function URL is AWS_IAM: every request is signed with
 * the operator's ordinary AWS credentials, found the way the AWS CLI and SDKs find them
 * (environment, `~/.aws` profiles and SSO, web identity, container and instance roles), for
 * service `lambda` in the URL's region. AWS checks the signature before the function runs and
 * hands it the principal (shared/http/auth/iam-principal.ts).
 */

/** `<url-id>.lambda-url.<region>.on.aws`: a Lambda Function URL. */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/**
 * The region to sign for: the Function URL's own, or SWIFTBOOT_API_AWS_REGION for another name
 * in front of it (or a test). Undefined: do not sign.
 */
export function sigv4Region(
  url: string,
  env: Record<string, string | undefined>,
): string | undefined {
  const forced = env[API_AWS_REGION_ENV];
  if (forced !== undefined && forced !== "") {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(forced)) {
      throw new CliFailure(
        `${API_AWS_REGION_ENV} must be an AWS region such as eu-west-1, not ${forced}`,
      );
    }
    return forced;
  }
  return FUNCTION_URL_HOST.exec(new URL(url).hostname)?.[1];
}

export type Credentials = ConstructorParameters<typeof SignatureV4>[0]["credentials"];

export type RequestSigner = (
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
) => Promise<Record<string, string>>;

/** Signs requests for `region`; credentials from the standard chain unless given. */
export function sigv4Signer(
  region: string,
  credentials: Credentials = standardChain(),
): RequestSigner {
  const signer = new SignatureV4({
    service: "lambda",
    region,
    credentials,
    sha256: Sha256,
    // Function URLs refuse unsigned payloads: the body's hash goes in x-amz-content-sha256.
    applyChecksum: true,
  });
  return async (url, method, headers, body) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    let signed: { headers: Record<string, string> };
    try {
      signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === "" ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      throw new CliFailure(
        `cannot sign the request with AWS credentials (SigV4): ${(error as Error).message}`,
      );
    }
    // fetch sets Host itself, from the URL.
    const { host: _host, ...rest } = signed.headers;
    return rest;
  };
}

/**
 * The SDK's default chain (`fromNodeProviderChain`), loaded on first use: the CLI's other
 * commands do not pay for its import.
 */
function standardChain(): Credentials {
  let chain: ReturnType<typeof import("@aws-sdk/credential-providers").fromNodeProviderChain>;
  return async () => {
    chain ??= (await import("@aws-sdk/credential-providers")).fromNodeProviderChain();
    return chain();
  };
}
