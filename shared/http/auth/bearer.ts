import type { MiddlewareHandler } from "hono";
import { ProblemError, problemResponse } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { allows, requiredScope, scopeOf, type TokenEntry } from "./tokens.ts";

const REALM = 'Bearer realm="swiftboot"';

/**
 * Bearer authentication for the admin API: 401 with `WWW-Authenticate: Bearer` without a valid
 * token, 403 when the token's scope is too small (reads need `read`, writes `admin`). The token
 * never reaches a log line: only its scope and the first 8 hex digits of its hash (`actor`),
 * which tell operators which configured entry acted.
 *
 * @example app.use("/v1/nodes/*", bearerAuth(parseTokenEntries(config.admin.tokens)))
 */
export function bearerAuth(entries: readonly TokenEntry[]): MiddlewareHandler<AppEnv> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(header);
    if (match === null) {
      return problemResponse(
        c,
        new ProblemError(
          "unauthorized",
          header === undefined
            ? "send a token: Authorization: Bearer <token>"
            : "the Authorization header is not Bearer <token>",
          {},
          { "WWW-Authenticate": REALM },
        ),
      );
    }
    const found = await scopeOf(match[1] as string, entries);
    if (found === undefined) {
      return problemResponse(
        c,
        new ProblemError(
          "unauthorized",
          "the token is not valid",
          {},
          { "WWW-Authenticate": `${REALM}, error="invalid_token"` },
        ),
      );
    }
    c.get("logFields").actor = `${found.scope}:${found.hash.slice(0, 8)}`;
    const needed = requiredScope(c.req.method);
    if (!allows(found.scope, needed)) {
      return problemResponse(
        c,
        new ProblemError(
          "forbidden",
          `${c.req.method} needs a token with scope ${needed}; this one has ${found.scope}`,
          {},
          { "WWW-Authenticate": `${REALM}, error="insufficient_scope", scope="${needed}"` },
        ),
      );
    }
    await next();
  };
}
