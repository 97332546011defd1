import type { Fill, FillResult } from "./fill.ts";
import type { FillLock } from "./lock.ts";
import { type ArtifactCache, type CachedObject, CacheError } from "./types.ts";

/**
 * Misses for one key share one origin download.
 *
 * Within an instance, the first miss leads: it takes the fill lock and starts the fill, and its
 * client streams from it. Requests for the same key that arrive meanwhile follow: they wait for
 * the fill to finish and are then served from the cache. A follower waits at most `waitMs`; past
 * that it streams from the origin itself without writing (a slow fill must not hold every
 * booting machine hostage, and a second writer would only race the first).
 *
 * Across instances, the FillLock decides who fills. An instance that finds the lock held polls
 * the cache every `pollMs` for up to `waitMs`, then streams from the origin without writing.
 * If the lock backend itself fails, the instance fills anyway: a duplicate download is better
 * than no boot.
 */
export interface CoalesceOptions {
  cache: ArtifactCache;
  lock: FillLock;
  /** This instance's name in the lock (random per process). */
  owner: string;
  /** How long a lock is held at most; keep it above the slowest expected fill. */
  lockTtlSeconds: number;
  waitMs: number;
  pollMs: number;
  /** Called once per fill this instance ran, when it settles (for logs). */
  onFillDone?: (key: string, result: FillResult, elapsedMs: number) => void;
  /** Called when a lock call fails (the fill goes ahead without it). */
  onLockError?: (key: string, error: unknown) => void;
}

export type MissOutcome =
  /** This request leads the fill and streams it (`fill.client` is set). */
  | { kind: "filling"; fill: Fill }
  /** The object is in the cache now: serve it from there. */
  | { kind: "cached"; object: CachedObject }
  /** Serve from the origin without writing. */
  | { kind: "bypass"; why: "wait-timeout" | "lock-held" | "cache-write-failed" }
  /** The origin failed (502), or the cache could not be reached (503): `error` says which. */
  | { kind: "failed"; error: CacheError }
  /** The client went away while waiting. */
  | { kind: "aborted" };

type Settled = Exclude<MissOutcome, { kind: "filling" } | { kind: "aborted" }>;

export interface MissRequest {
  /** Opens the origin and starts the fill; throws OriginError when the origin fails. */
  start: (withClient: boolean) => Promise<Fill>;
  /** The caller wants to stream the fill (a full GET of known size). */
  withClient: boolean;
  /** The client's request signal: stops waiting when it disconnects. */
  signal?: AbortSignal;
  /** Receives each fill's completion, so runtimes that freeze after the response (Workers'
   * waitUntil) keep it running. */
  keepAlive?: (done: Promise<unknown>) => void;
}

export class FillCoordinator {
  readonly #inflight = new Map<string, Promise<Settled>>();
  readonly #o: CoalesceOptions;

  constructor(options: CoalesceOptions) {
    this.#o = options;
  }

  /** Fills in progress (or being waited for) in this instance. */
  get inflight(): number {
    return this.#inflight.size;
  }

  async miss(key: string, request: MissRequest): Promise<MissOutcome> {
    const existing = this.#inflight.get(key);
    if (existing !== undefined) return this.#follow(existing, request.signal);

    let settle: (s: Settled) => void = () => {};
    const entry = new Promise<Settled>((resolve) => {
      settle = resolve;
    });
    this.#inflight.set(key, entry);
    const finish = (settled: Settled): Settled => {
      if (this.#inflight.get(key) === entry) this.#inflight.delete(key);
      settle(settled);
      return settled;
    };

    const { cache, lock, owner } = this.#o;
    let locked = false;
    try {
      try {
        locked = await lock.tryAcquire(key, this.#o.lockTtlSeconds, owner);
      } catch (error) {
        this.#o.onLockError?.(key, error);
        locked = true;
      }
      if (!locked) {
        const object = await this.#poll(key, request.signal);
        if (object === "aborted") {
          finish({ kind: "bypass", why: "lock-held" });
          return { kind: "aborted" };
        }
        return finish(
          object === undefined ? { kind: "bypass", why: "lock-held" } : { kind: "cached", object },
        );
      }
      // Someone may have finished a fill between our miss and taking the lock.
      const filled = await cache.head(key);
      if (filled !== undefined) {
        this.#release(key);
        return finish({ kind: "cached", object: filled });
      }
      const started = Date.now();
      const fill = await request.start(request.withClient);
      // fill.done never rejects, and nothing below throws: a fill's end must never become an
      // unhandled rejection (on Node that ends the process, and every other request with it).
      const settled = fill.done.then((result) => {
        this.#release(key);
        this.#report(key, result, Date.now() - started);
        finish(
          result.ok
            ? { kind: "cached", object: result.object }
            : result.origin
              ? { kind: "failed", error: result.error }
              : { kind: "bypass", why: "cache-write-failed" },
        );
      });
      request.keepAlive?.(settled);
      if (fill.client !== undefined) return { kind: "filling", fill };
      return this.#follow(entry, request.signal);
    } catch (error) {
      if (locked) this.#release(key);
      if (error instanceof CacheError) {
        return finish({ kind: "failed", error });
      }
      finish({ kind: "bypass", why: "cache-write-failed" });
      throw error;
    }
  }

  /** Waits for another request's fill, at most `waitMs`. */
  async #follow(entry: Promise<Settled>, signal: AbortSignal | undefined): Promise<MissOutcome> {
    const waited = await raceTimeout(entry, this.#o.waitMs, signal);
    if (waited === "timeout") return { kind: "bypass", why: "wait-timeout" };
    if (waited === "aborted") return { kind: "aborted" };
    return waited;
  }

  /** Polls the cache while another instance fills. */
  async #poll(
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<CachedObject | undefined | "aborted"> {
    const deadline = Date.now() + this.#o.waitMs;
    for (;;) {
      const object = await this.#o.cache.head(key);
      if (object !== undefined) return object;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const slept = await raceTimeout(
        new Promise<never>(() => {}),
        Math.min(this.#o.pollMs, left),
        signal,
      );
      if (slept === "aborted") return "aborted";
    }
  }

  /** Never throws: a lock or a log that fails must not fail the fill (or the process). */
  #release(key: string): void {
    const failed = (error: unknown) => {
      try {
        this.#o.onLockError?.(key, error);
      } catch {
        // A failing log line is no reason to fail anything else.
      }
    };
    try {
      this.#o.lock.release(key, this.#o.owner).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Never throws, like #release. */
  #report(key: string, result: FillResult, elapsedMs: number): void {
    try {
      this.#o.onFillDone?.(key, result, elapsedMs);
    } catch {
      // As above.
    }
  }
}

/** `promise`, or "timeout" after `ms`, or "aborted" when `signal` fires; no timer outlives it. */
function raceTimeout<T>(
  promise: Promise<T>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<T | "timeout" | "aborted"> {
  if (signal?.aborted === true) return Promise.resolve("aborted");
  return new Promise((resolve) => {
    const done = (value: T | "timeout" | "aborted") => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = () => done("aborted");
    const timer = setTimeout(() => done("timeout"), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(done, () => done("timeout"));
  });
}
