import type { LogFields, Logger, LogLevel } from "../../../shared/log/index.ts";
import { createJsonLogger } from "../../../shared/log/index.ts";
import { emfFields } from "./emf.ts";
import { requestMetrics } from "./request-metrics.ts";

export const METRICS_NAMESPACE = "swiftboot";

export interface LambdaLoggerOptions {
  level: LogLevel;
  secrets: readonly string[];
  /** Which function wrote the line (`boot`, `artifacts`, ...). */
  fn: string;
  /** The current invocation's request id, read at each line. */
  requestId: () => string | undefined;
  /** Where a finished line goes (tests capture it). */
  write?: (line: string) => void;
  now?: () => number;
}

/**
 * The shared JSON logger (with its redaction) writing straight to stdout: the Lambda runtime
 * prefixes lines written through console.log with a timestamp and request id, which would stop
 * CloudWatch from reading them as JSON, and so as EMF. Each request line also carries its metrics.
 */
export function createLambdaLogger(options: LambdaLoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const inner = createJsonLogger({
    level: options.level,
    secrets: options.secrets,
    base: { fn: options.fn },
    write: options.write ?? ((line) => process.stdout.write(`${line}\n`)),
  });
  const decorate = (msg: string, fields: LogFields | undefined): LogFields => {
    const requestId = options.requestId();
    const out: LogFields =
      requestId === undefined ? { ...fields } : { request_id: requestId, ...fields };
    if (msg !== "request" || fields === undefined) return out;
    return { ...out, ...emfFields(METRICS_NAMESPACE, requestMetrics(fields), now()) };
  };
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void =>
      inner[level](msg, decorate(msg, fields));
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A log line written without the app's logger: at a failed start none exists yet (its level comes
 * from the configuration), and a failed secret refresh concerns the configuration itself. The
 * error cannot hold a secret: ConfigError names options, not values, and SecretsError names the ARN.
 */
export function logWithoutLogger(
  level: "warn" | "error",
  msg: string,
  fields: { fn: string; request_id: string | undefined },
  error: unknown,
): void {
  process.stdout.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      level,
      msg,
      ...fields,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    })}\n`,
  );
}
