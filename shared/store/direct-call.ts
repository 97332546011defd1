import type { DynamoDBClientResolvedConfig } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import type {
  Endpoint,
  HttpHandlerOptions,
  HttpRequest,
  HttpResponse,
  RequestHandler,
} from "@smithy/types";
import { awsErrorShape, isAwsNetworkError } from "../aws/errors.ts";
import { toStoreError, UNAVAILABLE_NAMES } from "./aws-errors.ts";
import { retryBudget } from "./client.ts";
import { RetryQuota } from "./retry-quota.ts";

/**
 * DynamoDB's JSON protocol, signed by the SDK's own SigV4 signer with the client's credentials,
 * region and hash, and sent through the client's own request handler (Node's or fetch's, with its
 * timeouts): the SDK's pieces without its per-call middleware stack and schema serializer.
 *
 * Why: the boot path's hot calls, its one read per script (direct-get-item.ts) and the batched
 * boot history writes (boot-history-batch.ts). At a fleet's peak client CPU is what limits
 * scripts per second (`npm run bench -- load`). Measured on this machine against DynamoDB Local
 * (`npm run bench -- store-read`): a read through dynamodb-toolbox about 520 µs of client CPU,
 * a bare GetItem through the SDK's DynamoDBClient about 400 µs, the boot read this way with the
 * node's record validated about 250-290 µs; a boot record written in a BatchWriteItem of 25 about
 * 1.3x less than through the DocumentClient (about 60-80 µs against 85-110). Everything else in
 * the store goes through dynamodb-toolbox and the SDK.
 *
 * Same contract as the SDK path: retries as `retryBudget` allows (a network failure, a 5xx or a
 * throttle) while the SDK's standard retry quota lasts (retry-quota.ts), clock skew corrected from the service's Date header as the SDK does, and failures
 * mapped by `toStoreError` (StoreUnavailableError when the store cannot answer).
 */

/** The operations swiftboot sends this way. */
export type DirectOperation = "GetItem" | "BatchWriteItem";

/**
 * One call: `input` is the operation's JSON request; the answer is its JSON response (an object).
 * `describe` names the call in errors (`GetItem MAC#...`); `signal` bounds it, retries included.
 */
export type DirectCall = (
  operation: DirectOperation,
  input: object,
  describe: string,
  signal: AbortSignal,
) => Promise<Readonly<Record<string, unknown>>>;

const CONTENT_TYPE = "application/x-amz-json-1.0";
/** Answers that mean "your clock is off": the SDK retries once with the server's time. */
const CLOCK_SKEW_NAMES = new Set([
  "InvalidSignatureException",
  "RequestTimeTooSkewed",
  "RequestExpired",
  "SignatureDoesNotMatch",
]);
const SKEW_TOLERANCE_MS = 5 * 60_000;

/** A DynamoDB error answer, shaped as the SDK's errors are, so toStoreError reads it the same. */
class DynamoDbErrorAnswer extends Error {
  readonly $fault: "client" | "server";
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? "server" : "client";
    this.$metadata = { httpStatusCode: status };
  }
}

export function createDirectCall(
  config: DynamoDBClientResolvedConfig,
  timeoutMs: number,
): DirectCall {
  const handler = config.requestHandler as RequestHandler<
    HttpRequest,
    HttpResponse,
    HttpHandlerOptions
  >;
  const signer = new SignatureV4({
    credentials: config.credentials,
    region: config.region,
    service: "dynamodb",
    sha256: config.sha256,
    uriEscapePath: true,
  });
  const { maxAttempts } = retryBudget(timeoutMs);
  const quota = new RetryQuota();
  let endpoint: Promise<Endpoint> | undefined;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const attempt = async (operation: DirectOperation, body: Uint8Array, signal: AbortSignal) => {
    endpoint ??= resolveEndpoint(config).catch((error: unknown) => {
      endpoint = undefined; // a failed resolution (credentials, region) is retried next time
      throw error;
    });
    const target = await endpoint;
    const host = target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`;
    const unsigned: HttpRequest = {
      method: "POST",
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port === undefined ? {} : { port: target.port }),
      path: target.path,
      query: {},
      headers: {
        host,
        "content-type": CONTENT_TYPE,
        "content-length": String(body.byteLength),
        "x-amz-target": `DynamoDB_20120810.${operation}`,
      },
      body,
    };
    const signed = await signer.sign(unsigned, {
      signingDate: new Date(Date.now() + config.systemClockOffset),
    });
    try {
      const { response } = await handler.handle(signed, { abortSignal: signal });
      const text = decoder.decode(await config.streamCollector(response.body));
      return { response, text };
    } catch (error) {
      throw asTransportFailure(error);
    }
  };

  return async (operation, input, describe, signal) => {
    const body = encoder.encode(JSON.stringify(input));
    let skewCorrected = false;
    let retryCost: number | undefined;
    for (let tries = 1; ; tries++) {
      let failure: unknown;
      let outcome: { response: HttpResponse; text: string } | undefined;
      try {
        outcome = await attempt(operation, body, signal);
      } catch (error) {
        failure = error;
      }
      if (outcome !== undefined) {
        const { response, text } = outcome;
        if (response.statusCode === 200) {
          quota.succeeded(retryCost);
          try {
            return answerOf(text, response.statusCode);
          } catch (error) {
            throw toStoreError(error, describe, timeoutMs);
          }
        }
        const answer = errorAnswer(text, response.statusCode);
        if (!skewCorrected && CLOCK_SKEW_NAMES.has(answer.name) && correctSkew(response)) {
          skewCorrected = true;
          tries--; // as the SDK: a skew retry does not use up the retry budget
          continue;
        }
        if (!retryable(answer)) throw toStoreError(answer, describe, timeoutMs);
        failure = answer;
      } else if (signal.aborted || !transportFailure(failure) || nobodyThere(failure)) {
        throw toStoreError(signal.aborted ? abortError(signal) : failure, describe, timeoutMs);
      }
      retryCost = tries < maxAttempts ? quota.take(isTimeout(failure)) : undefined;
      if (retryCost === undefined) throw toStoreError(failure, describe, timeoutMs);
      // A kept-alive connection the store closed is replaced at once; otherwise the SDK's
      // standard back-off before a second attempt: up to 100 ms, jittered.
      if (!staleConnection(failure)) await delay(Math.random() * 100, signal);
    }
  };

  function correctSkew(response: HttpResponse): boolean {
    const date = Date.parse(String(response.headers.date ?? response.headers.Date ?? ""));
    if (
      Number.isNaN(date) ||
      Math.abs(date - (Date.now() + config.systemClockOffset)) < SKEW_TOLERANCE_MS
    )
      return false;
    // The client's own offset: the SDK's calls read and correct the same one.
    config.systemClockOffset = date - Date.now();
    return true;
  }
}

/** The client's endpoint: the one configured (DynamoDB Local), else the region's, as the SDK. */
export async function resolveEndpoint(config: DynamoDBClientResolvedConfig): Promise<Endpoint> {
  if (config.endpoint !== undefined) return config.endpoint();
  const [Region, UseFIPS, UseDualStack] = await Promise.all([
    config.region(),
    config.useFipsEndpoint(),
    config.useDualstackEndpoint(),
  ]);
  // Account-based endpoints are an optimisation the SDK makes when it knows the account; the
  // regional endpoint serves every account.
  const resolved = config.endpointProvider({
    Region,
    UseFIPS,
    UseDualStack,
    AccountIdEndpointMode: "disabled",
  });
  const url = resolved.url;
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === "" ? {} : { port: Number(url.port) }),
    path: url.pathname,
  };
}

/** A 200 answer's JSON object; anything else is not DynamoDB answering ("Unknown", as the SDK). */
function answerOf(text: string, status: number): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DynamoDbErrorAnswer("Unknown", "the answer is not JSON", status);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new DynamoDbErrorAnswer("Unknown", "the answer is not a JSON object", status);
  return parsed as Record<string, unknown>;
}

/** A malformed part of a 200 answer: reported as the SDK reports an answer it cannot read. */
export function unreadableAnswer(describe: string, problem: string): Error {
  return toStoreError(new DynamoDbErrorAnswer("Unknown", problem, 200), describe, 0);
}

/** DynamoDB's error body: `{"__type":"com.amazonaws.dynamodb.v20120810#Name","message":"..."}`. */
function errorAnswer(text: string, status: number): DynamoDbErrorAnswer {
  let type = "";
  let message = "";
  try {
    const parsed = JSON.parse(text) as { __type?: unknown; message?: unknown; Message?: unknown };
    type = typeof parsed.__type === "string" ? parsed.__type : "";
    const m = parsed.message ?? parsed.Message;
    message = typeof m === "string" ? m : "";
  } catch {
    // not DynamoDB answering (a proxy, a wrong port): "Unknown", as the SDK names it
  }
  const name = type.slice(type.lastIndexOf("#") + 1) || "Unknown";
  return new DynamoDbErrorAnswer(name, message || `HTTP ${status}`, status);
}

function retryable(answer: DynamoDbErrorAnswer): boolean {
  return answer.$metadata.httpStatusCode >= 500 || UNAVAILABLE_NAMES.has(answer.name);
}

/** No HTTP answer at all (refused, reset, timed out): worth one more try within the budget. */
function transportFailure(error: unknown): boolean {
  return !(error instanceof DynamoDbErrorAnswer) && error instanceof Error;
}

/**
 * A failure of the HTTP exchange itself (refused, reset, cut mid-answer, timed out) named as the
 * SDK names transport failures, whatever the request handler called it (a stream's
 * ERR_STREAM_PREMATURE_CLOSE, fetch's TypeError): the store is unreachable, not the code broken.
 */
function asTransportFailure(error: unknown): unknown {
  if (isAwsNetworkError(awsErrorShape(error))) return error;
  const e = awsErrorShape(error);
  const failure = new Error(e.message ?? String(error), { cause: error });
  failure.name = "NetworkingError";
  return Object.assign(failure, { code: e.code ?? e.name ?? "NetworkingError" });
}

/** Nothing listens, or no such host: a retry within milliseconds finds the same; 503 at once. */
const NOBODY_THERE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
function nobodyThere(failure: unknown): boolean {
  const code = awsErrorShape(failure).code;
  return code !== undefined && NOBODY_THERE.has(code);
}

function staleConnection(failure: unknown): boolean {
  const code = awsErrorShape(failure).code;
  return code === "ECONNRESET" || code === "EPIPE";
}

function isTimeout(failure: unknown): boolean {
  const e = awsErrorShape(failure);
  return e.name === "TimeoutError" || e.name === "AbortError" || e.code === "ETIMEDOUT";
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error("the store call was aborted");
  error.name = "AbortError";
  return error;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
