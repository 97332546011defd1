import type { FillLock } from "../../../shared/cache/lock.ts";

/** A TTL map: the fill lock of one process hosting several apps. */
export class MemoryFillLock implements FillLock {
  readonly #held = new Map<string, { owner: string; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async tryAcquire(key: string, ttlSeconds: number, owner: string): Promise<boolean> {
    const current = this.#held.get(key);
    const now = this.#now();
    if (current !== undefined && current.owner !== owner && current.expiresAt > now) return false;
    this.#held.set(key, { owner, expiresAt: now + ttlSeconds * 1000 });
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.#held.get(key)?.owner === owner) this.#held.delete(key);
  }

  /** Who holds `key` now, for tests. */
  holder(key: string): string | undefined {
    const current = this.#held.get(key);
    return current !== undefined && current.expiresAt > this.#now() ? current.owner : undefined;
  }
}
