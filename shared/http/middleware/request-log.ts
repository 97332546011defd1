import type { MiddlewareHandler } from "hono";
import type { LogFields, Logger } from "../../log/index.ts";
import type { AppEnv } from "../types.ts";

/**
 * One structured line per request, written after the response is decided. Routes add fields with
 * `c.get("logFields")`; the logger redacts signatures and secrets from the whole line.
 */
export function requestLog(logger: Logger, now: () => number): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = now();
    // The line's own fields come first; status and latency are filled in after the route ran
    // unless it set them itself (a route's field wins, as it always has). One object, no copies.
    const fields: LogFields = {
      method: c.req.method,
      path: c.req.path,
      status: undefined,
      latency_ms: undefined,
    };
    c.set("logFields", fields);
    await next();
    const status = c.res.status;
    const latency = now() - started;
    let line = fields;
    const set = c.get("logFields");
    if (set === fields) {
      fields.status ??= status;
      fields.latency_ms ??= latency;
    } else {
      // A route that replaced the object: its fields after the line's own, as a copy.
      line = { method: c.req.method, path: c.req.path, status, latency_ms: latency, ...set };
    }
    if (status >= 500) logger.error("request", line);
    else logger.info("request", line);
  };
}
