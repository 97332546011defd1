import type { Context } from "hono";
import { ProblemError, problemResponse } from "../problem.ts";
import type { AppEnv } from "../types.ts";

/** The admin routes by path shape, for 405 (with Allow) versus 404 on requests none handled. */
const ROUTES: [RegExp, string][] = [
  [/^\/v1\/images$/, "GET"],
  [/^\/v1\/images\/[^/]+$/, "GET, PUT, DELETE"],
  [/^\/v1\/nodes$/, "GET"],
  [/^\/v1\/nodes\/[^/]+$/, "GET, PUT, PATCH, DELETE"],
  [/^\/v1\/nodes\/[^/]+\/actions\/[^/]+$/, "POST"],
  [/^\/v1\/nodes\/[^/]+\/boots$/, "GET"],
  [/^\/v1\/discovered$/, "GET"],
  [/^\/v1\/discovered\/[^/]+$/, "DELETE"],
  [/^\/v1\/discovered\/[^/]+\/enroll$/, "POST"],
];

export function adminFallback(c: Context<AppEnv>): Response {
  const allow = ROUTES.find(([pattern]) => pattern.test(c.req.path))?.[1];
  if (allow === undefined) {
    return problemResponse(c, new ProblemError("not-found", `no route ${c.req.path}`));
  }
  return problemResponse(
    c,
    new ProblemError(
      "method-not-allowed",
      `${c.req.method} is not allowed here; use ${allow}`,
      {},
      {
        Allow: allow,
      },
    ),
  );
}
