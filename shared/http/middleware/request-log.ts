import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../log/index.ts";
import type { AppEnv } from "../types.ts";

/**
 * One structured line per request, written after the response is decided. Routes add fields with
 * `c.get("logFields")`; the logger redacts signatures and secrets from the whole line.
 */
export function requestLog(logger: Logger, now: () => number): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = now();
    c.set("logFields", {});
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      latency_ms: now() - started,
      ...c.get("logFields"),
    };
    if (status >= 500) logger.error("request", fields);
    else logger.info("request", fields);
  };
}
