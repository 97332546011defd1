import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface DynamoStoreOptions {
  table: string;
  /** Unset: AWS's regional endpoint. */
  endpoint?: string;
  region: string;
  /** Upper bound on one store call, retries included. */
  timeoutMs: number;
  /**
   * Unset: the SDK's default chain, except for a loopback endpoint (DynamoDB Local), where fixed
   * dummy credentials avoid a slow, pointless probe of the instance metadata service.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** DynamoDB Local keeps data per access key unless started with -sharedDb; any fixed pair works. */
export const LOCAL_CREDENTIALS = { accessKeyId: "swiftboot", secretAccessKey: "swiftboot" };

/**
 * Retry budget inside `timeoutMs`: two attempts when there is room for two, each with its own
 * request timeout, so one dropped connection is retried but an unreachable store fails within
 * about `timeoutMs`. The per-call AbortSignal in dynamo-store.ts is the hard backstop (it also
 * covers retry back-off, which the request timeout does not).
 */
export function retryBudget(timeoutMs: number): {
  maxAttempts: number;
  requestTimeout: number;
  connectionTimeout: number;
} {
  const maxAttempts = timeoutMs >= 1_000 ? 2 : 1;
  // Leave ~10% for the SDK's back-off between attempts.
  const requestTimeout = Math.max(50, Math.floor((timeoutMs * 0.9) / maxAttempts));
  return { maxAttempts, requestTimeout, connectionTimeout: Math.min(requestTimeout, 1_000) };
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/**
 * The DynamoDB client for a store. Only options that both the Node (node-http-handler) and the
 * Workers/browser (fetch-http-handler) request handlers understand, so no node: import here.
 */
export function createDynamoClient(options: Omit<DynamoStoreOptions, "table">): DynamoDBClient {
  const { maxAttempts, requestTimeout, connectionTimeout } = retryBudget(options.timeoutMs);
  const credentials =
    options.credentials ??
    (options.endpoint !== undefined && isLoopback(options.endpoint)
      ? LOCAL_CREDENTIALS
      : undefined);
  return new DynamoDBClient({
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    maxAttempts,
    // throwOnRequestTimeout: node-http-handler otherwise only logs a warning when it passes.
    requestHandler: { requestTimeout, connectionTimeout, throwOnRequestTimeout: true },
  });
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}
