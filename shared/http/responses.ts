import type { Context } from "hono";
import { CacheUnavailableError, OriginError } from "../cache/index.ts";
import { StoreUnavailableError } from "../store/errors.ts";
import type { AppEnv } from "./types.ts";

/** Seconds iPXE waits before retrying a 503 by itself (it honours Retry-After with no cap). */
export const RETRY_AFTER_SECONDS = 5;

export const SCRIPT_HEADERS = {
  "Content-Type": "text/plain; charset=utf-8",
  "Cache-Control": "no-store",
} as const;

/**
 * The one place where failures become HTTP answers. Boot routes always answer with a valid
 * script body, because iPXE may execute whatever it receives.
 */
export function scriptErrorResponse(
  c: Context<AppEnv>,
  error: unknown,
  retryScript: string,
  /**
   * For any other failure (a corrupt stored record, a bug): 500 with this script, so the machine
   * still reads why and takes the fail action instead of failing to run "internal error".
   */
  failedScript?: string,
): Response {
  if (error instanceof StoreUnavailableError) {
    c.get("logFields").error = error.message;
    return c.body(retryScript, 503, {
      ...SCRIPT_HEADERS,
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  if (failedScript === undefined) throw error;
  c.get("logFields").error =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return c.body(failedScript, 500, SCRIPT_HEADERS);
}

/** A short plain-text answer for artifact requests (never echoing the URL or its signature). */
export function textResponse(
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(`swiftboot: ${reason}\n`, {
    status,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      ...headers,
    },
  });
}

/**
 * Failures of an artifact request: store or cache unreachable → 503, origin failed → 502, both
 * with Retry-After so iPXE retries by itself. An image with no origin at all is a configuration
 * problem: 502 without Retry-After (the script's own retries re-chain and then give up).
 */
export function artifactErrorResponse(c: Context<AppEnv>, error: unknown): Response {
  const fields = c.get("logFields");
  const retry = { "Retry-After": String(RETRY_AFTER_SECONDS) };
  if (error instanceof StoreUnavailableError || error instanceof CacheUnavailableError) {
    fields.error = `${error.name}: ${error.message}`;
    const what = error instanceof StoreUnavailableError ? "node store" : "artifact cache";
    return textResponse(
      503,
      `the ${what} is unavailable; retry in ${RETRY_AFTER_SECONDS} s`,
      retry,
    );
  }
  if (error instanceof OriginError) {
    fields.error = `${error.name}: ${error.message}`;
    fields.origin_failure = error.reason;
    if (error.reason === "no-origin") return textResponse(502, error.message);
    return textResponse(502, `the image's origin failed (${error.reason}); retry`, retry);
  }
  throw error;
}
