import { isoTime } from "./iso-time.ts";
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
  const noBase = Object.keys(base).length === 0;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const time = isoTime(Date.now());
    // No replacer (it costs a call per value of every line): errors are flattened up front.
    let line: string;
    if (noBase && fields !== undefined && appendable(fields)) {
      // The same text as the general case below without copying the fields into a new object
      // (every request's line comes here): the fields' JSON after the three leading keys.
      const rest = JSON.stringify(withErrorsFlattened(fields));
      const head = `{"time":"${time}","level":"${level}","msg":${JSON.stringify(msg)}`;
      line = rest === "{}" ? `${head}}` : `${head},${rest.slice(1)}`;
    } else {
      line = JSON.stringify({
        time,
        level,
        msg,
        ...base,
        ...(fields === undefined ? {} : withErrorsFlattened(fields)),
      });
    }
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
 * Whether `{time, level, msg, ...fields}` serialises as the three keys followed by `fields`' own
 * JSON: no field repeats one of those keys (a spread keeps the first position), none is an array
 * index (those come first in any object), and there is no `toJSON` to change the serialisation.
 */
function appendable(fields: LogFields): boolean {
  for (const key in fields) {
    if (key === "time" || key === "level" || key === "msg" || key === "toJSON") return false;
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39) return false;
  }
  return true;
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
