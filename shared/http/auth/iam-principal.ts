import type { MiddlewareHandler } from "hono";
import { ProblemError, problemResponse } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { allows, requiredScope, type Scope } from "./tokens.ts";

/**
 * The admin API's authentication on AWS, where the admin Function URL is AWS_IAM: AWS has
 * already checked the caller's SigV4 signature (and IAM that the caller may invoke the URL)
 * before the function runs, and hands the verified identity over in the event's
 * `requestContext.authorizer.iam`. That principal is the actor, and `admin.iam_principals` maps
 * it to a scope. Nothing in the request itself (headers, body) is looked at: an event without an
 * IAM authorizer context (an unsigned request, which the AWS_IAM URL never lets through, or a
 * misconfigured deployment) is refused with 401.
 */
export interface PrincipalEntry {
  scope: Scope;
  /** An ARN, or an ARN prefix when it ended in `*`. */
  arn: string;
  prefix: boolean;
}

/** `admin.iam_principals`: `<scope>:<ARN>[*]`, comma-separated (validated by the schema). */
export function parsePrincipalEntries(value: string | undefined): PrincipalEntry[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const colon = entry.indexOf(":");
      const scope = entry.slice(0, colon) as Scope;
      const arn = entry.slice(colon + 1);
      return arn.endsWith("*")
        ? { scope, arn: arn.slice(0, -1), prefix: true }
        : { scope, arn, prefix: false };
    });
}

/** The widest scope the entries give `arn`, or undefined when none matches. */
export function scopeOfPrincipal(
  arn: string,
  entries: readonly PrincipalEntry[],
): Scope | undefined {
  let found: Scope | undefined;
  for (const entry of entries) {
    const matches = entry.prefix ? arn.startsWith(entry.arn) : arn === entry.arn;
    if (matches && (found === undefined || entry.scope === "admin")) found = entry.scope;
  }
  return found;
}

/** The caller's ARN from a Function URL (payload 2.0) event, as hono/aws-lambda passes it. */
export function iamPrincipalArn(env: unknown): string | undefined {
  const iam = (env as { requestContext?: { authorizer?: { iam?: { userArn?: unknown } } } })
    ?.requestContext?.authorizer?.iam;
  const arn = iam?.userArn;
  return typeof arn === "string" && arn.startsWith("arn:") ? arn : undefined;
}

export function iamPrincipalAuth(entries: readonly PrincipalEntry[]): MiddlewareHandler<AppEnv> {
  return async function iamPrincipalMiddleware(c, next) {
    const arn = iamPrincipalArn(c.env);
    if (arn === undefined) {
      return problemResponse(
        c,
        new ProblemError(
          "unauthorized",
          "no IAM principal: sign the request with SigV4 (the swiftboot CLI does, from your AWS credentials)",
        ),
      );
    }
    // An ARN names a principal, not a credential: it may go in the log line.
    c.get("logFields").actor = arn;
    const scope = scopeOfPrincipal(arn, entries);
    if (scope === undefined) {
      return problemResponse(
        c,
        new ProblemError("forbidden", `${arn} is not in admin.iam_principals`),
      );
    }
    const needed = requiredScope(c.req.method);
    if (!allows(scope, needed)) {
      return problemResponse(
        c,
        new ProblemError("forbidden", `${c.req.method} needs scope ${needed}; ${arn} has ${scope}`),
      );
    }
    await next();
  };
}
