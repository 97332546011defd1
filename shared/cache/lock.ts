/**
 * Cross-instance fill lock: at most one instance fills a key at a time, so a fleet of machines
 * booting the same new image (one Lambda instance each) does not download it from the origin
 * once per instance. Within one instance, coalesce.ts already shares fills without a lock.
 *
 * Implementations:
 * - `noFillLock`: always granted (one instance, or duplicate fills are acceptable);
 * - `MemoryFillLock` (test/support/cache/memory-fill-lock.ts): a TTL map, for tests;
 * - DynamoDB (shared/store/fill-lock.ts): a conditional put of `{pk: LOCK#<key>, owner, expiresAt}` that succeeds
 *   when no item exists or `expiresAt < now`. The expiry must be compared in the condition:
 *   DynamoDB's TTL deletes expired items lazily (up to days later), it is only housekeeping.
 *
 * A lock is advisory. Losing it (TTL elapsed mid-fill) at worst causes a duplicate fill, which
 * the cache tolerates: puts of one key are atomic and content-addressed keys hold the same bytes.
 */
export interface FillLock {
  /** True when `owner` now holds `key` for `ttlSeconds`; false when someone else holds it. */
  tryAcquire(key: string, ttlSeconds: number, owner: string): Promise<boolean>;
  /** Releases `key` if `owner` holds it; a no-op otherwise. */
  release(key: string, owner: string): Promise<void>;
  /** Who holds `key` now, where the lock can tell (for messages such as `cache warm`'s). */
  heldBy?(key: string): Promise<FillLockHolder | undefined>;
}

export interface FillLockHolder {
  owner: string;
  /** Milliseconds since the epoch: when the lock lapses if its holder does not release it. */
  expiresAt: number;
  /** Who that is, in words (`process 1234 on host`). */
  description?: string;
}

export const noFillLock: FillLock = {
  tryAcquire: async () => true,
  release: async () => {},
};
