/**
 * Writes the sample events (Lambda Function URL payload 2.0, a DynamoDB stream batch) from
 * fixtures.ts: `tsx events/generate.ts`. The output is committed; rerun after changing fixtures.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { marshall } from "@aws-sdk/util-dynamodb";
import {
  artifactContentId,
  artifactFileName,
  signArtifactUrl,
} from "../shared/artifacts/signed-url.ts";
import { callbackKeys, signCallbackUrl } from "../shared/callback/url.ts";
import { imageSchema } from "../shared/model/index.ts";
import {
  EDGE_IP,
  FRONT_HOST,
  FUNCTION_URL_HOST,
  KERNEL_BYTES,
  KNOWN_MAC,
  KNOWN_UUID,
  RAMDISK_BYTES,
  SAMPLE_ADMIN_TOKEN,
  SAMPLE_ARTIFACT_KEY,
  SAMPLE_EXPIRES,
  SAMPLE_STATE_ID,
  SOURCE_IP,
  sampleImages,
  UNKNOWN_MAC,
  VIEWER_IP,
} from "./fixtures.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const images = sampleImages({
  kernel: sha256(KERNEL_BYTES),
  ramdisk: sha256(RAMDISK_BYTES),
});

const TIME_EPOCH = 1_790_000_000_000;

/** A Function URL request as Lambda delivers it (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html). */
function functionUrlEvent(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  body?: string,
  iam = false,
) {
  const url = new URL(pathAndQuery, `https://${FUNCTION_URL_HOST}`);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const userAgent = headers["user-agent"] ?? "iPXE/1.21.1+ (g4bd064de)";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: {
      host: FUNCTION_URL_HOST,
      "user-agent": userAgent,
      "x-amzn-trace-id": "Root=1-6740a1b2-0123456789abcdef01234567",
      "x-forwarded-for": SOURCE_IP,
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      ...headers,
    },
    ...(url.search === "" ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: iam ? "123456789012" : "anonymous",
      // AuthType AWS_IAM: Lambda passes who signed the request.
      ...(iam
        ? {
            authorizer: {
              iam: {
                accessKey: "AKIAIOSFODNN7EXAMPLE",
                accountId: "123456789012",
                callerId: "AIDAJQABLZS4A3QDU576Q",
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: "arn:aws:iam::123456789012:user/operator",
                userId: "AIDAJQABLZS4A3QDU576Q",
              },
            },
          }
        : {}),
      apiId: FUNCTION_URL_HOST.split(".")[0],
      domainName: FUNCTION_URL_HOST,
      domainPrefix: FUNCTION_URL_HOST.split(".")[0],
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: SOURCE_IP,
        userAgent,
      },
      requestId: "c1d2e3f4-0000-4000-8000-000000000001",
      routeKey: "$default",
      stage: "$default",
      time: "15/Sep/2026:10:13:20 +0000",
      timeEpoch: TIME_EPOCH,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

const hyphenated = (mac: string) => mac.replaceAll(":", "-");

/**
 * The same request as the stack's CloudFront distribution delivers it to a Function URL through
 * Origin Access Control: Host stays the Function URL's (OAC signs for it), CloudFront adds its
 * Via, X-Amz-Cf-Id and X-Forwarded-For (the viewer; Lambda appends the edge), the origin request
 * policy passes CloudFront-Forwarded-Proto, and the viewer-request function its
 * X-Swiftboot-Viewer-* headers. The source address Lambda sees is the edge's, and the IAM caller
 * is CloudFront's own signature (so requestContext.authorizer.iam is CloudFront, not an operator).
 */
function throughFront(event: ReturnType<typeof functionUrlEvent>) {
  return {
    ...event,
    headers: {
      ...event.headers,
      via: "1.1 2b4d5b2e0a3c7e9f.cloudfront.net (CloudFront)",
      "x-amz-cf-id": "Xy1wZzBmT3JpZ2luQWNjZXNzQ29udHJvbEV4YW1wbGU9PQ==",
      "x-forwarded-for": `${VIEWER_IP}, ${EDGE_IP}`,
      "cloudfront-forwarded-proto": "http",
      "x-swiftboot-viewer-host": FRONT_HOST,
      "x-swiftboot-viewer-address": VIEWER_IP,
    },
    requestContext: {
      ...event.requestContext,
      accountId: "123456789012",
      authorizer: {
        iam: {
          accessKey: "ASIAEXAMPLECLOUDFRONT",
          accountId: "123456789012",
          callerId: "AROAEXAMPLECLOUDFRONT:cloudfront",
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: "arn:aws:sts::123456789012:assumed-role/cloudfront-oac/cloudfront",
          userId: "AROAEXAMPLECLOUDFRONT:cloudfront",
        },
      },
      http: { ...event.requestContext.http, sourceIp: EDGE_IP },
    },
  };
}

/**
 * A machine's report as the front's `/v1/callbacks/*` behaviour delivers it to the callbacks
 * Function URL (auth NONE, no Origin Access Control: nobody signed it, so no IAM caller): every
 * viewer header but Host (the managed AllViewerExceptHostHeader policy), CloudFront's own, the
 * viewer-request function's, and the body base64-encoded, as Function URLs deliver a POST body.
 */
function callbackThroughFront(path: string, body: string) {
  const event = throughFront(
    functionUrlEvent("POST", path, {
      "user-agent": "Wget",
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(body)),
    }),
  );
  const { authorizer: _none, ...requestContext } = event.requestContext;
  return {
    ...event,
    requestContext: { ...requestContext, accountId: "anonymous" },
    body: Buffer.from(body, "utf8").toString("base64"),
    isBase64Encoded: true,
  };
}

/** The path of sample-node's callback URL for its deploy (the one its deploy script carries). */
function callbackPath(): string {
  const keys = callbackKeys(SAMPLE_ARTIFACT_KEY, undefined);
  if (keys === undefined) throw new Error("no callback keys");
  return signCallbackUrl(
    "",
    { kind: "node", nodeId: "sample-node", state: "deploying", stateId: SAMPLE_STATE_ID },
    SAMPLE_EXPIRES,
    keys.current,
  );
}

/** The same path with its signature's last digit changed. */
function forged(path: string): string {
  const last = path.at(-1) === "0" ? "1" : "0";
  return `${path.slice(0, -1)}${last}`;
}

function artifactPath(index: 0 | 1): string {
  const image = imageSchema.parse(images[index]);
  const url = signArtifactUrl({
    baseUrl: "",
    imageId: image.id,
    contentId: artifactContentId(image, undefined),
    fileName: artifactFileName(image),
    expires: SAMPLE_EXPIRES,
    key: SAMPLE_ARTIFACT_KEY,
  });
  return url;
}

/** A table stream record (NEW_AND_OLD_IMAGES) for an item as the store writes it. */
function streamRecord(
  n: number,
  eventName: "INSERT" | "MODIFY" | "REMOVE",
  keys: { pk: string; sk: string },
  item: Record<string, unknown> | undefined,
) {
  const region = "eu-west-1";
  return {
    eventID: `c81e728d9d4c2f636f067f89cc14862${n}`,
    eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000 + n,
      Keys: marshall(keys),
      ...(item === undefined
        ? {}
        : { NewImage: marshall({ ...keys, ...item }, { removeUndefinedValues: true }) }),
      SequenceNumber: `4000000000000000000000${n}`,
      SizeBytes: 300,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
    eventSourceARN: `arn:aws:dynamodb:${region}:123456789012:table/swiftboot/stream/2026-09-15T10:00:00.000`,
  };
}

export const events: Record<string, unknown> = {
  "boot-first-stage": functionUrlEvent("GET", "/boot.ipxe"),
  "boot-known-node": functionUrlEvent(
    "GET",
    `/boot/${hyphenated(KNOWN_MAC)}.ipxe?uuid=${KNOWN_UUID}&arch=x86_64&platform=efi`,
  ),
  "boot-unknown-node": functionUrlEvent(
    "GET",
    `/boot/${hyphenated(UNKNOWN_MAC)}.ipxe?uuid=4c4c4544-0000-0000-0000-000000000001&arch=x86_64&platform=pcbios`,
  ),
  "artifact-get": functionUrlEvent("GET", artifactPath(0)),
  "artifact-head": functionUrlEvent("HEAD", artifactPath(0)),
  "artifact-range": functionUrlEvent("GET", artifactPath(1), { range: "bytes=0-99" }),
  "front-boot-first-stage": throughFront(functionUrlEvent("GET", "/boot.ipxe")),
  "front-boot-known-node": throughFront(
    functionUrlEvent(
      "GET",
      `/boot/${hyphenated(KNOWN_MAC)}.ipxe?uuid=${KNOWN_UUID}&arch=x86_64&platform=pcbios`,
    ),
  ),
  "front-artifact-get": throughFront(functionUrlEvent("GET", artifactPath(1))),
  "front-artifact-head": throughFront(functionUrlEvent("HEAD", artifactPath(1))),
  "front-callback-done": callbackThroughFront(callbackPath(), "status=done"),
  "front-callback-forged": callbackThroughFront(forged(callbackPath()), "status=done"),
  // The admin Function URL is AWS_IAM and not behind the front: AWS verified the operator's SigV4.
  "admin-iam-list-nodes": functionUrlEvent(
    "GET",
    "/v1/nodes?limit=10",
    { "user-agent": "swiftboot-cli" },
    undefined,
    true,
  ),
  "admin-list-nodes": functionUrlEvent(
    "GET",
    "/v1/nodes?limit=10",
    { authorization: `Bearer ${SAMPLE_ADMIN_TOKEN}`, "user-agent": "curl/8.5.0" },
    undefined,
    true,
  ),
  "admin-put-image": functionUrlEvent(
    "PUT",
    "/v1/images/sample-rescue-kernel",
    {
      authorization: `Bearer ${SAMPLE_ADMIN_TOKEN}`,
      "content-type": "application/json",
      "user-agent": "curl/8.5.0",
    },
    JSON.stringify({
      id: "sample-rescue-kernel",
      name: "sample rescue kernel",
      swift: { container: "swiftboot-samples", object: "rescue/vmlinuz" },
    }),
    true,
  ),
  // The cache warmer's input: two images written (one new, one changed) and a node change it skips.
  "warmer-stream": {
    Records: [
      streamRecord(
        1,
        "INSERT",
        { pk: "IMAGE#sample-kernel", sk: "IMAGE" },
        { ...images[0], version: 1 },
      ),
      streamRecord(2, "MODIFY", { pk: "NODE#sample-node", sk: "NODE" }, { id: "sample-node" }),
      streamRecord(
        3,
        "MODIFY",
        { pk: "IMAGE#sample-ramdisk", sk: "IMAGE" },
        { ...images[1], version: 2 },
      ),
    ],
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, event] of Object.entries(events)) {
    const file = new URL(`./${name}.json`, import.meta.url);
    writeFileSync(file, `${JSON.stringify(event, null, 2)}\n`);
    console.log(`wrote events/${name}.json`);
  }
}
