import { CacheError } from "./types.ts";

/**
 * Why an artifact could not be had from its origin. The HTTP edge answers all of these with
 * 502 + Retry-After (iPXE retries such answers by itself), except `no-origin`, a configuration
 * problem that retrying cannot fix.
 */
export type OriginFailure =
  | "no-origin"
  | "unreachable"
  | "status"
  | "encoding"
  | "timeout"
  | "truncated"
  | "size-mismatch"
  | "sha256-mismatch";

export class OriginError extends CacheError {
  override name = "OriginError";
  constructor(
    message: string,
    readonly reason: OriginFailure,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
  /** The origin's HTTP status, for `status`. */
  readonly status: number | undefined;
}
