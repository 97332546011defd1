/**
 * The AWS SDK's standard retry quota, for the calls the store makes without the SDK's middleware
 * (direct-call.ts): a bucket of 500 tokens per client; a retry takes 5 (10 after a timeout) and
 * is not made when the bucket cannot pay; a call that succeeds gives back what its retry took, or
 * 1 token when it needed none. During an outage retries stop, so a failing store is not sent twice
 * the requests, and they resume as calls succeed again.
 */
export class RetryQuota {
  static readonly CAPACITY = 500;
  static readonly RETRY_COST = 5;
  static readonly TIMEOUT_RETRY_COST = 10;
  #tokens = RetryQuota.CAPACITY;

  /** Tokens for one retry, or undefined when the quota is spent (do not retry). */
  take(afterTimeout: boolean): number | undefined {
    const cost = afterTimeout ? RetryQuota.TIMEOUT_RETRY_COST : RetryQuota.RETRY_COST;
    if (this.#tokens < cost) return undefined;
    this.#tokens -= cost;
    return cost;
  }

  /** A call succeeded, after a retry that took `retryCost` tokens, or on its first attempt. */
  succeeded(retryCost: number | undefined): void {
    this.#tokens = Math.min(RetryQuota.CAPACITY, this.#tokens + (retryCost ?? 1));
  }

  get tokens(): number {
    return this.#tokens;
  }
}
