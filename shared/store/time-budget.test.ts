import { afterEach, describe, expect, it, vi } from "vitest";
import { toStoreError } from "./aws-errors.ts";
import { StoreUnavailableError } from "./errors.ts";
import { withTimeBudget } from "./time-budget.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("withTimeBudget", () => {
  it("clears its timer as soon as the work settles, either way", async () => {
    vi.useFakeTimers();
    expect(await withTimeBudget(2_000, async () => "done")).toBe("done");
    await expect(
      withTimeBudget(2_000, async () => {
        throw new Error("failed");
      }),
    ).rejects.toThrow("failed");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("aborts the work's signal after `ms` with a TimeoutError the store reads as too slow", async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const pending = withTimeBudget(600, (signal) => {
      seen = signal;
      return new Promise<never>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason));
      });
    });
    const outcome = pending.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(599);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect((error as Error).name).toBe("TimeoutError");
    const mapped = toStoreError(error, "GetItem MAC#x", 600);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(/did not answer within 600 ms/);
  });
});
