import type { Context } from "hono";
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
): Response {
  if (error instanceof StoreUnavailableError) {
    c.get("logFields").error = error.message;
    return c.body(retryScript, 503, {
      ...SCRIPT_HEADERS,
      "Retry-After": String(RETRY_AFTER_SECONDS),
    });
  }
  throw error;
}
