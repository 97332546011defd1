import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * What AWS checks of a SigV4-signed request before an AWS_IAM Function URL runs its function,
 * written from the Signature Version 4 specification (canonical request, string to sign, derived
 * key), independently of the SDK's signer the CLI uses: the credential names a known access key,
 * its scope is the request's date, the expected region and service, `host` and `x-amz-date` are
 * signed, the body matches `x-amz-content-sha256`, the time is within 5 minutes, and the
 * signature matches.
 */
export interface SigV4Request {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type SigV4Verdict =
  | { ok: true; accessKeyId: string; signedHeaders: string[] }
  | { ok: false; reason: string };

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) =>
  createHmac("sha256", key).update(data).digest();
/** RFC 3986 unreserved characters stay; everything else is %XX (upper case). */
const uriEncode = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

export function verifySigV4(
  request: SigV4Request,
  secrets: ReadonlyMap<string, string>,
  expected: { region: string; service: string },
  now: Date,
): SigV4Verdict {
  const auth = request.headers.authorization ?? "";
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return { ok: false, reason: "no SigV4 Authorization header" };
  const [, accessKeyId, day, region, service, signedList, signature] = m as unknown as string[];
  const secret = secrets.get(accessKeyId as string);
  if (secret === undefined) return { ok: false, reason: "unknown access key" };
  if (region !== expected.region || service !== expected.service) {
    return {
      ok: false,
      reason: `scope ${region}/${service} is not ${expected.region}/${expected.service}`,
    };
  }
  const amzDate = request.headers["x-amz-date"] ?? "";
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) {
    return { ok: false, reason: "x-amz-date missing or not the credential's day" };
  }
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(now.getTime() - signedAt) > 5 * 60_000)
    return { ok: false, reason: "signature expired" };
  const signedHeaders = (signedList as string).split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) {
    return { ok: false, reason: "host and x-amz-date must be signed" };
  }
  const payloadHash = sha256(request.body);
  const claimed = request.headers["x-amz-content-sha256"];
  if (claimed !== undefined && claimed !== payloadHash) {
    return { ok: false, reason: "x-amz-content-sha256 does not match the body" };
  }
  const url = new URL(request.url, "http://placeholder");
  // Non-S3 services: each path segment is encoded again.
  const canonicalPath = url.pathname
    .split("/")
    .map((segment) => uriEncode(segment))
    .join("/");
  const canonicalQuery = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(request.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonicalRequest = [
    request.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedList,
    claimed ?? payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${secret}`, day as string);
  key = hmac(key, region as string);
  key = hmac(key, service as string);
  key = hmac(key, "aws4_request");
  const expectedSignature = createHmac("sha256", key).update(stringToSign).digest();
  if (!timingSafeEqual(expectedSignature, Buffer.from(signature as string, "hex"))) {
    return { ok: false, reason: "signature does not match" };
  }
  return { ok: true, accessKeyId: accessKeyId as string, signedHeaders };
}
