import { redactText } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** The logging surface the core uses; runtime entry points may supply their own. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Secret values (keys, tokens) scrubbed from every line, wherever they appear. */
  secrets?: readonly string[];
  /** Where a finished line goes; console.log by default (stdout on Node and Lambda, Workers logs). */
  write?: (line: string) => void;
  base?: LogFields;
}

/**
 * One JSON object per line. Redaction runs on the serialised line, so a secret can't leak through
 * a nested field or an error message, and known signature parameters are masked too.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => console.log(line));
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    // No replacer (it costs a call per value of every line): errors are flattened up front.
    const line = JSON.stringify({
      time: new Date().toISOString(),
      level,
      msg,
      ...base,
      ...(fields === undefined ? {} : withErrorsFlattened(fields)),
    });
    write(redactText(line, secrets));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/**
 * Fields with each Error (a field's value, or one level inside it) as `{ name, message }`, which
 * JSON.stringify would otherwise write as `{}`; the stack is left out. Fields without an Error
 * are returned as they are, so a request's log line copies nothing.
 */
function withErrorsFlattened(fields: LogFields): LogFields {
  let out: LogFields | undefined;
  for (const key in fields) {
    const value = fields[key];
    let flat: unknown = value;
    if (value instanceof Error) flat = { name: value.name, message: value.message };
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const inner = value as Record<string, unknown>;
      let copy: Record<string, unknown> | undefined;
      for (const k in inner) {
        const v = inner[k];
        if (v instanceof Error) {
          copy ??= { ...inner };
          copy[k] = { name: v.name, message: v.message };
        }
      }
      if (copy !== undefined) flat = copy;
    }
    if (flat !== value) {
      out ??= { ...fields };
      out[key] = flat;
    }
  }
  return out ?? fields;
}

/** A logger that keeps lines in memory, for tests. */
export function createMemoryLogger(options: Omit<JsonLoggerOptions, "write"> = {}) {
  const lines: string[] = [];
  const logger = createJsonLogger({
    level: "debug",
    ...options,
    write: (line) => lines.push(line),
  });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as LogFields) };
}
