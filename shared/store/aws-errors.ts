import { type AwsErrorShape, isAwsNetworkError } from "../aws/errors.ts";
import { StoreError, StoreUnavailableError } from "./errors.ts";

/**
 * Service answers that mean "try again later", as opposed to "this request is wrong": a 503 for
 * the boot path, and a retry within the budget for the store's direct calls (direct-call.ts).
 */
export const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "Throttling",
  "InternalServerError",
  "ServiceUnavailable",
  "TransactionInProgressException",
]);

/** Connection failures: whatever the SDK names the error, the store was not slow. */
const BROKEN_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * Maps an AWS SDK failure to the store's errors: unreachable, slow, throttled, failing (5xx) or
 * missing-table stores are StoreUnavailableError (the boot path answers 503 + Retry-After);
 * other service errors are StoreError. Anything else (a bug) is rethrown unchanged.
 */
export function toStoreError(error: unknown, operation: string, timeoutMs: number): Error {
  if (error instanceof StoreError || typeof error !== "object" || error === null) {
    return error instanceof Error ? error : new StoreError(`${operation} failed: ${String(error)}`);
  }
  const e = error as AwsErrorShape;
  if (isAwsNetworkError(e)) {
    // The SDK names a reset of a kept-alive connection "TimeoutError" too (code ECONNRESET): that
    // is a broken connection, found at once, not a slow store.
    const broken = typeof e.code === "string" && BROKEN_CONNECTION_CODES.has(e.code);
    const reason =
      !broken && (e.name === "AbortError" || e.name === "TimeoutError")
        ? `did not answer within ${timeoutMs} ms`
        : `could not be reached (${e.code ?? e.name}: ${e.message})`;
    return new StoreUnavailableError(`DynamoDB ${reason} during ${operation}`, { cause: error });
  }
  if (e.name === "CredentialsProviderError") {
    // Loading credentials (from the environment, IMDS, ...) failed; on Lambda this can be transient.
    return new StoreUnavailableError(
      `no AWS credentials for DynamoDB during ${operation}: ${e.message}`,
      {
        cause: error,
      },
    );
  }
  if (e.$fault === undefined && e.$metadata === undefined) return error as Error;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === "Unknown" || e.name === "UnknownError") {
    // An HTTP answer that is not DynamoDB's (a proxy, a wrong port): no store at this endpoint.
    return new StoreUnavailableError(
      `DynamoDB endpoint answered HTTP ${status ?? "?"} with no DynamoDB response during ${operation}; check store.endpoint`,
      { cause: error },
    );
  }
  if (e.name === "ResourceNotFoundException") {
    return new StoreUnavailableError(`DynamoDB table not found during ${operation}: ${e.message}`, {
      cause: error,
    });
  }
  if (
    (e.name !== undefined && UNAVAILABLE_NAMES.has(e.name)) ||
    e.$fault === "server" ||
    (status !== undefined && status >= 500) ||
    status === undefined
  ) {
    return new StoreUnavailableError(
      `DynamoDB unavailable during ${operation}: ${e.name}: ${e.message}`,
      {
        cause: error,
      },
    );
  }
  return new StoreError(`DynamoDB ${operation} failed: ${e.name}: ${e.message}`, { cause: error });
}
