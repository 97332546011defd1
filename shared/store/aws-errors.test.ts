import { describe, expect, it } from "vitest";
import { toStoreError } from "./aws-errors.ts";
import { StoreError, StoreUnavailableError } from "./errors.ts";

const serviceError = (
  name: string,
  status: number,
  fault: "client" | "server" = status >= 500 ? "server" : "client",
) =>
  Object.assign(new Error(`${name} message`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });

describe("toStoreError", () => {
  it.each([
    [
      "a timeout",
      Object.assign(new Error("timed out"), { name: "TimeoutError" }),
      /did not answer within 2000 ms/,
    ],
    [
      "an abort",
      Object.assign(new Error("aborted"), { name: "AbortError" }),
      /did not answer within 2000 ms/,
    ],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      /could not be reached/,
    ],
    ["a Workers fetch failure", new TypeError("fetch failed"), /could not be reached/],
    ["throttling", serviceError("ThrottlingException", 400), /unavailable/],
    [
      "throughput exceeded",
      serviceError("ProvisionedThroughputExceededException", 400),
      /unavailable/,
    ],
    ["a 500", serviceError("InternalServerError", 500), /unavailable/],
    ["a 503", serviceError("ServiceUnavailable", 503), /unavailable/],
    ["a missing table", serviceError("ResourceNotFoundException", 400), /table not found/],
    ["a non-DynamoDB answer", serviceError("Unknown", 404), /answered HTTP 404/],
    [
      "missing credentials",
      Object.assign(new Error("none"), { name: "CredentialsProviderError" }),
      /no AWS credentials/,
    ],
  ])("%s is StoreUnavailableError", (_what, error, message) => {
    const mapped = toStoreError(error, "GetItem NODE#a", 2000);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(message);
    expect(mapped.message).toContain("GetItem NODE#a");
    expect((mapped as Error & { cause?: unknown }).cause).toBe(error);
  });

  it("a request DynamoDB rejects is a plain StoreError", () => {
    const mapped = toStoreError(serviceError("ValidationException", 400), "PutItem", 2000);
    expect(mapped).toBeInstanceOf(StoreError);
    expect(mapped).not.toBeInstanceOf(StoreUnavailableError);
  });

  it("leaves store errors and programming errors alone", () => {
    const store = new StoreUnavailableError("down");
    expect(toStoreError(store, "x", 1)).toBe(store);
    const bug = new TypeError("undefined is not a function");
    expect(toStoreError(bug, "x", 1)).toBe(bug);
  });
});
