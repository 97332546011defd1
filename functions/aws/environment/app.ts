import { logWithoutLogger } from "../telemetry/logger.ts";
import { readLambdaSecret, secretsMaxAge } from "./config.ts";

/**
 * What an execution environment serves with: built on its first request from the function's
 * secret, and rebuilt when that secret has changed. Lambda keeps an environment for hours; without
 * the re-read, a rotated key or a revoked admin token would only take effect in new environments.
 *
 * Every `maxAgeSeconds`, the next request reads the secret again (one GetSecretValue, inline: the
 * environment runs one request at a time, and Lambda freezes it between requests, so there is no
 * background to do it in). Only a changed secret rebuilds the app. A failed first start is thrown
 * to the caller (and retried by the next request); a failed re-read or rebuild is reported and the
 * current app goes on serving, so an unreachable Secrets Manager never takes a function down.
 */
export interface EnvironmentAppOptions<T> {
  /** The secret's current text; undefined when the function has no secret. */
  readSecret: (purpose: "start" | "refresh") => Promise<string | undefined>;
  /** Builds what the environment serves with from that text. */
  build: (secretText: string | undefined) => Promise<T>;
  /** Seconds between re-reads, asked once at the first start (a bad value fails it); 0: never. */
  maxAgeSeconds: () => number;
  /** A failed re-read or rebuild. */
  onRefreshError: (error: unknown) => void;
  now?: () => number;
}

export interface EnvironmentApp<T> {
  get(): Promise<T>;
}

export function environmentApp<T>(options: EnvironmentAppOptions<T>): EnvironmentApp<T> {
  const now = options.now ?? Date.now;
  interface State {
    value: T;
    secret: string | undefined;
    checkedAt: number;
    maxAgeMs: number;
  }
  let current: State | undefined;
  let starting: Promise<T> | undefined;

  const start = async (): Promise<T> => {
    const maxAgeSeconds = options.maxAgeSeconds();
    const secret = await options.readSecret("start");
    const value = await options.build(secret);
    const maxAgeMs = secret === undefined ? 0 : maxAgeSeconds * 1000;
    current = { value, secret, checkedAt: now(), maxAgeMs };
    return value;
  };

  const refresh = async (state: State): Promise<State> => {
    state.checkedAt = now();
    try {
      const secret = await options.readSecret("refresh");
      if (secret === state.secret) return state;
      return { ...state, value: await options.build(secret), secret };
    } catch (error) {
      options.onRefreshError(error);
      return state;
    }
  };

  return {
    async get() {
      if (current === undefined) {
        starting ??= start().finally(() => {
          starting = undefined;
        });
        return starting;
      }
      if (current.maxAgeMs > 0 && now() - current.checkedAt >= current.maxAgeMs) {
        current = await refresh(current);
      }
      return current.value;
    },
  };
}

const REFRESH_TIMEOUT_MS = 1_000;

/**
 * environmentApp for a deployed function: its secret from SWIFTBOOT_SECRETS_ARN, re-read every
 * SWIFTBOOT_SECRETS_MAX_AGE seconds; a failed refresh is logged as a warning.
 */
export function lambdaEnvironmentApp<T>(
  fn: string,
  env: Record<string, unknown>,
  requestId: () => string | undefined,
  build: (secretText: string | undefined) => Promise<T>,
): EnvironmentApp<T> {
  const vars = env as Record<string, string | undefined>;
  return environmentApp({
    // A re-read delays the request that makes it: bounded tighter than a start, which has nothing
    // to fall back on.
    readSecret: (purpose) =>
      readLambdaSecret(vars, purpose === "refresh" ? REFRESH_TIMEOUT_MS : undefined),
    build,
    maxAgeSeconds: () => secretsMaxAge(vars),
    onRefreshError: (error) =>
      logWithoutLogger("warn", "secret refresh failed", { fn, request_id: requestId() }, error),
  });
}
