/**
 * What the AWS SDK v3 throws, reduced to what swiftboot decides on. Shared by the DynamoDB store
 * and the S3 cache so both read "the service is unreachable" the same way.
 */
export interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorShape(error: unknown): AwsErrorShape {
  return typeof error === "object" && error !== null ? (error as AwsErrorShape) : {};
}

/** Transport failures: no HTTP answer at all. */
const NETWORK_NAMES = new Set(["AbortError", "TimeoutError", "RequestTimeout", "NetworkingError"]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
]);

export function isAwsNetworkError(error: AwsErrorShape): boolean {
  if (error.name !== undefined && NETWORK_NAMES.has(error.name)) return true;
  if (error.code !== undefined && NETWORK_CODES.has(error.code)) return true;
  // fetch (Workers) reports transport failures as TypeError("fetch failed"/"Network connection lost").
  return /socket hang up|fetch failed|network connection lost/i.test(error.message ?? "");
}
