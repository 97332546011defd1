import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { toStoreError } from "./aws-errors.ts";
import { StoreUnavailableError } from "./errors.ts";

/**
 * The store's 503 log line says what happened: "could not be reached" for a broken connection
 * (refused, reset, unreachable), whatever the SDK calls the error (it names a reset of a
 * kept-alive connection "TimeoutError"), and "did not answer within" only for real timeouts.
 * Found by test/integration/faults/store-down.test.ts, where DynamoDB stopped mid-run was
 * logged as "did not answer within 1000 ms" for requests that failed in milliseconds.
 */
const RUNS = { numRuns: 2_000 };
const BROKEN = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
];
const sdkError = (name: string | undefined, code: string | undefined, message: string) =>
  Object.assign(new Error(message), {
    ...(name === undefined ? {} : { name }),
    ...(code === undefined ? {} : { code }),
  });

describe("toStoreError's reason (properties)", () => {
  it("a broken connection is 'could not be reached', whatever the error's name", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(undefined, "Error", "TimeoutError", "AbortError", "NetworkingError"),
        fc.constantFrom(...BROKEN),
        fc.string({ maxLength: 30 }),
        fc.integer({ min: 100, max: 30_000 }),
        (name, code, message, timeoutMs) => {
          const error = toStoreError(sdkError(name, code, message), "GetItem X", timeoutMs);
          assert.ok(error instanceof StoreUnavailableError);
          assert.match(error.message, /^DynamoDB could not be reached \(/);
          assert.ok(error.message.includes(code));
        },
      ),
      RUNS,
    );
  });

  it("a timeout or an abort without a connection failure is 'did not answer within'", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("TimeoutError", "AbortError"),
        fc.constantFrom(undefined, "ETIMEDOUT"),
        fc.integer({ min: 100, max: 30_000 }),
        (name, code, timeoutMs) => {
          const error = toStoreError(sdkError(name, code, "slow"), "GetItem X", timeoutMs);
          assert.ok(error instanceof StoreUnavailableError);
          assert.equal(
            error.message,
            `DynamoDB did not answer within ${timeoutMs} ms during GetItem X`,
          );
        },
      ),
      RUNS,
    );
  });
});
