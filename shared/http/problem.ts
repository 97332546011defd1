import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type FieldProblem, fieldProblems } from "../model/index.ts";
import { IllegalTransitionError } from "../model/transitions.ts";
import {
  ConcurrentModificationError,
  CorruptRecordError,
  IdentityConflictError,
  ImageInUseError,
  InvalidCursorError,
  InvalidRecordError,
  StoreUnavailableError,
  UnknownImageError,
  VersionMismatchError,
} from "../store/errors.ts";
import type * as z from "../validation/zod.ts";
import { RETRY_AFTER_SECONDS } from "./responses.ts";
import type { AppEnv } from "./types.ts";

/**
 * RFC 9457 problem details for the admin API, and the one place where its failures (store,
 * model, validation, HTTP) become status codes. Boot routes answer scripts instead (responses.ts).
 */

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** `type` URIs; each is described in docs/admin-api.md under "Errors". */
export const PROBLEM_TYPES = {
  validation: 400,
  "invalid-json": 400,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  "admin-disabled": 404,
  "method-not-allowed": 405,
  "identity-conflict": 409,
  "illegal-transition": 409,
  "state-change": 409,
  "image-in-use": 409,
  "unknown-image": 409,
  "concurrent-modification": 409,
  "report-refused": 409,
  "node-exists": 409,
  "precondition-failed": 412,
  "payload-too-large": 413,
  "unsupported-media-type": 415,
  "corrupt-record": 500,
  internal: 500,
  "store-unavailable": 503,
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

const TITLES: Record<ProblemType, string> = {
  validation: "Invalid request",
  "invalid-json": "Body is not valid JSON",
  unauthorized: "Authentication required",
  forbidden: "Token lacks the scope this request needs",
  "not-found": "Not found",
  "admin-disabled": "Admin API disabled",
  "method-not-allowed": "Method not allowed",
  "identity-conflict": "MAC or UUID belongs to another node",
  "illegal-transition": "Action not allowed from the node's state",
  "state-change": "State changes only through actions",
  "image-in-use": "Image in use",
  "unknown-image": "Unknown image",
  "concurrent-modification": "Concurrent modification",
  "report-refused": "Report does not apply to the node any more",
  "node-exists": "A node with that id exists",
  "precondition-failed": "Precondition failed",
  "payload-too-large": "Body too large",
  "unsupported-media-type": "Unsupported media type",
  "corrupt-record": "Stored record is invalid",
  internal: "Internal error",
  "store-unavailable": "Store unavailable",
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Each bad field, by dotted path. */
  errors?: FieldProblem[];
  /** Extension members (`allowed`, `nodes`, `conflict`). */
  [extension: string]: unknown;
}

/** An answer the admin API gives by throwing; turned into problem+json by its error handler. */
export class ProblemError extends Error {
  override name = "ProblemError";
  readonly problem: Problem;
  constructor(
    readonly kind: ProblemType,
    detail: string,
    extra: { errors?: FieldProblem[]; [extension: string]: unknown } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.problem = {
      type: `urn:swiftboot:problem:${kind}`,
      title: TITLES[kind],
      status: PROBLEM_TYPES[kind],
      detail,
      ...extra,
    };
  }
}

export function validationProblem(errors: FieldProblem[]): ProblemError {
  return new ProblemError("validation", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
    errors,
  });
}

export function zodProblem(error: z.core.$ZodError): ProblemError {
  return validationProblem(fieldProblems(error));
}

/** Every failure the admin API can meet, as the problem it answers. Unknown errors are 500s. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof IllegalTransitionError) {
    return new ProblemError("illegal-transition", error.message, {
      state: error.from,
      allowed: error.allowed,
    });
  }
  if (error instanceof IdentityConflictError) {
    return new ProblemError("identity-conflict", error.message, {
      errors: [{ path: error.kind === "mac" ? "macs" : "uuid", message: error.message }],
      conflict: { kind: error.kind, value: error.value, node: error.otherNodeId },
    });
  }
  if (error instanceof ImageInUseError) {
    return new ProblemError("image-in-use", error.message, {
      nodes: error.nodeIds,
      more: error.more,
    });
  }
  if (error instanceof UnknownImageError) {
    return new ProblemError("unknown-image", error.message, { images: error.imageIds });
  }
  if (error instanceof VersionMismatchError) {
    return new ProblemError("precondition-failed", `${error.message} (If-Match)`);
  }
  if (error instanceof ConcurrentModificationError) {
    return new ProblemError("concurrent-modification", error.message);
  }
  if (error instanceof InvalidCursorError) {
    return validationProblem([{ path: "cursor", message: error.message.replace(/^cursor: /, "") }]);
  }
  if (error instanceof InvalidRecordError) {
    return new ProblemError("validation", error.message);
  }
  if (error instanceof StoreUnavailableError) {
    return new ProblemError(
      "store-unavailable",
      `the node store is unavailable; retry in ${RETRY_AFTER_SECONDS} s`,
      {},
      { "Retry-After": String(RETRY_AFTER_SECONDS) },
    );
  }
  if (error instanceof CorruptRecordError) {
    // The key only: what is wrong inside the record may echo stored data.
    return new ProblemError(
      "corrupt-record",
      `stored record ${error.key} is invalid; replace it with PUT or remove it with DELETE`,
    );
  }
  if (error instanceof HTTPException) {
    if (error.status === 400) return new ProblemError("invalid-json", error.message);
    if (error.status === 415) {
      return new ProblemError("unsupported-media-type", "send the body as application/json");
    }
    if (error.status === 413) return new ProblemError("payload-too-large", error.message);
  }
  return new ProblemError("internal", "internal error; see the server log");
}

/** The problem+json answer; 5xx causes go to the request's log line, never to the client. */
export function problemResponse(c: Context<AppEnv>, error: unknown): Response {
  const { problem, headers, kind } = toProblem(error);
  const fields = c.get("logFields");
  if (fields !== undefined) {
    fields.problem = kind;
    if (problem.status >= 500) {
      fields.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: {
      "Content-Type": PROBLEM_CONTENT_TYPE,
      "Cache-Control": "no-store",
      ...headers,
    },
  });
}
