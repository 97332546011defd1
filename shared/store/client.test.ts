import { describe, expect, it } from "vitest";
import { retryBudget } from "./client.ts";

describe("retryBudget", () => {
  it.each([100, 500, 999, 1000, 2000, 30_000])(
    "keeps attempts × request timeout within %i ms",
    (timeoutMs) => {
      const { maxAttempts, requestTimeout, connectionTimeout } = retryBudget(timeoutMs);
      expect(maxAttempts * requestTimeout).toBeLessThanOrEqual(Math.max(timeoutMs, 50));
      expect(connectionTimeout).toBeLessThanOrEqual(requestTimeout);
    },
  );

  it("retries once when there is time, never below one second", () => {
    expect(retryBudget(2000)).toEqual({
      maxAttempts: 2,
      requestTimeout: 900,
      connectionTimeout: 900,
    });
    expect(retryBudget(500).maxAttempts).toBe(1);
  });
});
