import assert from "node:assert/strict";
import fc from "fast-check";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import { createMemoryLogger, type LogFields } from "./logger.ts";
import { redactText } from "./redact.ts";

/**
 * The log line and its redaction as they were before the fast paths (the fields' JSON appended
 * to the leading keys; a pre-check that skips both replacements): the reference the current
 * ones must match byte for byte.
 */
function referenceRedact(text: string, secrets: readonly string[]): string {
  let out = text
    .replace(
      /((?:temp_url_sig|sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&"\s\\]+/gi,
      "$1[redacted]",
    )
    .replace(/(\/v1\/callbacks\/[^"\s\\?#]*\/)[0-9a-f]{64}/gi, "$1[redacted]");
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  return out;
}

function flattenErrors(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([k2, v2]) => [
          k2,
          v2 instanceof Error ? { name: v2.name, message: v2.message } : v2,
        ]),
      );
    } else out[k] = v;
  }
  return out;
}

function referenceLine(
  level: string,
  msg: string,
  fields: LogFields | undefined,
  base: LogFields,
  secrets: readonly string[],
): string {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    msg,
    ...base,
    ...(fields === undefined ? {} : flattenErrors(fields)),
  });
  return referenceRedact(line, secrets);
}

const fragment = fc.constantFrom(
  "sig=",
  "SIG=",
  "temp_url_sig=",
  "X-Amz-Signature=",
  "x-amz-credential=",
  "X-Amz-Security-Token=",
  "/v1/callbacks/",
  "/V1/Callbacks/node/",
  "a".repeat(64),
  "0123456789abcdef".repeat(4),
  "/",
  "&",
  '"',
  " ",
  "\\",
  "?",
  "#",
  "s3cret",
);
const text = fc
  .array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { maxLength: 10 })
  .map((parts) => parts.join(""));
const key = fc.oneof(
  fc.constantFrom("time", "level", "msg", "0", "7", "toJSON", "node", "status", "error", "url"),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const value = fc.oneof(
  text,
  fc.integer(),
  fc.constant(undefined),
  fc.boolean(),
  text.map((m) => new Error(m)),
  fc.dictionary(
    fc.string({ maxLength: 4 }),
    fc.oneof(
      text,
      text.map((m) => new TypeError(m)),
    ),
  ),
  fc.array(text, { maxLength: 3 }),
);
const fields = fc.dictionary(key, value, { maxKeys: 8 });

describe("log line fast paths", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2026-01-02T03:04:05.678Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("redactText equals the two replacements and the secrets, on any text (property)", () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.constantFrom("s3cret", "", "sig"), { maxLength: 2 }),
        (t, s) => {
          assert.equal(redactText(t, s), referenceRedact(t, s), t);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a line is byte for byte the spread-and-stringify line, for any fields (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("debug", "info", "warn", "error") as fc.Arbitrary<
          "debug" | "info" | "warn" | "error"
        >,
        text,
        fc.option(fields, { nil: undefined }),
        fc.oneof(fc.constant({}), fields),
        (level, msg, f, base) => {
          const secrets = ["s3cret"];
          const { logger, lines } = createMemoryLogger({ secrets, base });
          logger[level](msg, f);
          assert.equal(lines[0], referenceLine(level, msg, f, base, secrets));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
