/**
 * A local stand-in of the deployed AWS front, run as its own process (`tsx
 * test/e2e/support/front-standin.ts <boot bundle> <artifacts bundle> <public key file>`, Lambda's
 * environment for the functions in its own environment): plain HTTP on 127.0.0.1, and for each
 * request what CloudFront and Lambda would do:
 *
 * - the stack's viewer-request function (infra/front/viewer-request.js, run as CloudFront runs
 *   it) on the viewer's headers; the distribution's name is the host the guest uses;
 * - `/v1/artifacts/*` → the built artifacts bundle, everything else → the built boot bundle,
 *   both RESPONSE_STREAM (through an emulation of the runtime's `awslambda` streaming API), each
 *   with a Function URL event shaped as CloudFront with Origin Access Control delivers it;
 * - `/artifacts/*` → the cache bucket (S3 API), only on a CloudFront signed URL that verifies
 *   with the trusted public key as CloudFront checks it (test/support/cloudfront-verify.ts),
 *   else 403 as CloudFront answers.
 *
 * Prints one JSON line per request (`front`: path, status, what it did) and `{"listening": port}`.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { runInNewContext } from "node:vm";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { viewerRequestCode } from "../../../infra/constructs/front.ts";
import { verifyCloudFrontSignedUrl } from "../../support/cloudfront-verify.ts";

const [bootBundle, artifactsBundle, publicKeyFile] = process.argv.slice(2) as [
  string,
  string,
  string,
];
const keyPairId = process.env.SWIFTBOOT_FRONT_KEY_PAIR_ID as string;
const trusted = new Map([[keyPairId, readFileSync(publicKeyFile, "utf8")]]);
const bucket = process.env.CACHE_BUCKET as string;
const s3 = new S3Client({
  endpoint: process.env.CACHE_BUCKET_ENDPOINT as string,
  region: "us-east-1",
  forcePathStyle: true,
});
const viewerCode = viewerRequestCode([]);
const FUNCTION_URL_HOST = "standin0123456789.lambda-url.eu-west-1.on.aws";

type Metadata = { statusCode: number; headers: Record<string, string> };
const RESPONSE = Symbol("response");
/** The status line and headers each streamed answer began with, by its viewer response. */
const started = new WeakMap<ServerResponse, Metadata>();
// The Node.js runtime's streaming API: here the "response stream" is the viewer's socket.
(globalThis as Record<string, unknown>).awslambda = {
  streamifyResponse: (fn: unknown) => fn,
  HttpResponseStream: {
    from(stream: Writable & { [RESPONSE]: ServerResponse }, metadata: Metadata) {
      started.set(stream[RESPONSE], metadata);
      stream[RESPONSE].writeHead(metadata.statusCode, metadata.headers);
      return stream;
    },
  },
};
type Handler = (event: unknown, ...rest: unknown[]) => Promise<unknown>;
const boot = (await import(pathToFileURL(bootBundle).href)).handler as Handler;
const artifacts = (await import(pathToFileURL(artifactsBundle).href)).handler as Handler;

const log = (entry: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(entry)}\n`);
let requestNumber = 0;

function context() {
  requestNumber += 1;
  return {
    awsRequestId: `00000000-0000-4000-8000-${String(requestNumber).padStart(12, "0")}`,
    functionName: "swiftboot-standin",
    getRemainingTimeInMillis: () => 900_000,
  };
}

/** What the viewer-request function makes of the viewer's headers. */
function afterViewerFunction(req: IncomingMessage, distribution: string): Record<string, string> {
  const headers: Record<string, { value: string }> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers[name] = { value };
  }
  const event = {
    context: { distributionDomainName: distribution },
    viewer: { ip: req.socket.remoteAddress ?? "" },
    request: { method: req.method, uri: req.url, headers },
  };
  const out = runInNewContext(`${viewerCode}\nhandler(event);`, { event }) as {
    headers: Record<string, { value: string }>;
  };
  return Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k, v.value]));
}

/** A Function URL (payload 2.0) event as CloudFront with OAC sends it: the origin's Host. */
function functionUrlEvent(req: IncomingMessage, viewer: Record<string, string>) {
  const url = new URL(req.url ?? "/", "http://x");
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: {
      "user-agent": viewer["user-agent"] ?? "",
      "x-swiftboot-viewer-host": viewer["x-swiftboot-viewer-host"] ?? "",
      "x-swiftboot-viewer-address": viewer["x-swiftboot-viewer-address"] ?? "",
      "cloudfront-forwarded-proto": "http",
      via: "1.1 standin.cloudfront.net (CloudFront)",
      "x-forwarded-for": viewer["x-swiftboot-viewer-address"] ?? "",
      "x-forwarded-proto": "https",
      host: FUNCTION_URL_HOST,
    },
    ...(url.search === "" ? {} : { queryStringParameters: query }),
    requestContext: {
      domainName: FUNCTION_URL_HOST,
      http: {
        method: req.method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: viewer["user-agent"] ?? "",
      },
      requestId: `standin-${requestNumber}`,
      routeKey: "$default",
      stage: "$default",
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

async function serveObject(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const signed = `http://${req.headers.host}${req.url}`;
  const verdict = verifyCloudFrontSignedUrl(signed, trusted, Math.floor(Date.now() / 1000));
  const path = new URL(signed).pathname;
  if (!verdict.ok) {
    res.writeHead(403, { "content-type": "text/xml" });
    res.end("<Error><Code>AccessDenied</Code></Error>\n");
    log({ front: path, status: 403, refused: verdict.reason });
    return;
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: path.slice(1) }));
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": String(object.ContentLength ?? 0),
  });
  if (req.method === "HEAD") {
    res.end();
    object.Body?.transformToWebStream().cancel();
  } else {
    const body = object.Body as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      body.on("error", reject).pipe(res).on("finish", resolve);
    });
  }
  log({ front: path, status: 200, signed: true, bytes: object.ContentLength });
}

const server = createServer((req, res) => {
  const distribution = `10.0.2.2:${(server.address() as AddressInfo).port}`;
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const work = async () => {
    if (path.startsWith("/artifacts/")) return serveObject(req, res);
    const event = functionUrlEvent(req, afterViewerFunction(req, distribution));
    const sink = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          res.write(chunk, callback);
        },
        final(callback) {
          res.end(callback);
        },
      }),
      { [RESPONSE]: res },
    );
    const fn = path.startsWith("/v1/artifacts/") ? artifacts : boot;
    await fn(event, sink, context());
    const headers = Object.fromEntries(
      Object.entries(started.get(res)?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    );
    log({ front: path, status: res.statusCode, location: headers.location });
  };
  work().catch((error: unknown) => {
    log({ front: path, error: String(error) });
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  log({ listening: (server.address() as AddressInfo).port });
});
