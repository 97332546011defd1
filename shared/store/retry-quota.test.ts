import { describe, expect, it } from "vitest";
import { RetryQuota } from "./retry-quota.ts";

describe("RetryQuota (the SDK's standard retry quota)", () => {
  it("stops retries once an outage has spent it, and refills as calls succeed", () => {
    const quota = new RetryQuota();
    let retries = 0;
    while (quota.take(true) !== undefined) retries++;
    expect(retries).toBe(50); // 500 tokens, 10 per retry after a timeout
    expect(quota.take(false)).toBeUndefined();
    for (let i = 0; i < 5; i++) quota.succeeded(undefined); // first-attempt successes: +1 each
    expect(quota.take(false)).toBe(5);
    expect(quota.take(false)).toBeUndefined();
  });

  it("gives back a retry's tokens when the call then succeeds, never above its capacity", () => {
    const quota = new RetryQuota();
    const cost = quota.take(false);
    expect(quota.tokens).toBe(495);
    quota.succeeded(cost);
    expect(quota.tokens).toBe(500);
    quota.succeeded(undefined);
    expect(quota.tokens).toBe(500);
  });
});
