import type { Logger } from "../log/index.ts";
import type { BootRecord } from "../store/boot-record.ts";
import type { BootStore } from "../store/types.ts";

/** BatchWriteItem's limit: a batch this full is written at once. */
const MAX_BATCH = 25;
/** Records held at most; past it new ones are dropped (and counted in the next warning). */
const MAX_PENDING = 10_000;
/** How long flush() (a clean shutdown) waits for writes in flight. */
const FLUSH_TIMEOUT_MS = 5_000;

export interface BootHistoryQueueOptions {
  store: BootStore;
  logger: Logger;
  /**
   * How long a record waits for others before its batch is written. Node: a short timer, so a
   * rack booting at once costs one write per 25 scripts. Runtimes that freeze after the request
   * (Lambda) or cancel its leftovers (Workers): 0, i.e. the next macrotask, so the write still
   * happens within the request's lifetime (the route hands the promise to `waitUntil`).
   */
  delayMs: number;
}

interface Pending {
  records: { record: BootRecord; retentionSeconds: number }[];
  done: Promise<void>;
  resolve: () => void;
}

/**
 * Boot history off the critical path and batched: `add` returns at once with a promise that
 * settles (never rejects) when the batch holding the record has been written or has failed; a
 * failure is one warning in the log, and nothing is retried beyond the store's own bounded
 * retries. `flush` writes what is held now and waits for writes in flight: call it on a clean
 * shutdown so nothing is lost.
 */
export class BootHistoryQueue {
  readonly #options: BootHistoryQueueOptions;
  #pending: Pending | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #held = 0;
  #dropped = 0;

  constructor(options: BootHistoryQueueOptions) {
    this.#options = options;
  }

  add(record: BootRecord, retentionSeconds: number): Promise<void> {
    if (this.#held >= MAX_PENDING) {
      this.#dropped++;
      return Promise.resolve();
    }
    let pending = this.#pending;
    if (pending === undefined) {
      let resolve = () => {};
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      pending = { records: [], done, resolve };
      this.#pending = pending;
    }
    pending.records.push({ record, retentionSeconds });
    this.#held++;
    if (pending.records.length >= MAX_BATCH) this.#writePending();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#writePending(), this.#options.delayMs);
      // Node: a pending batch alone does not keep a process alive (flush() is the shutdown path).
      // Under waitUntil (delay 0) someone awaits the write, so the timer must hold the loop open.
      if (this.#options.delayMs > 0) (this.#timer as { unref?: () => void }).unref?.();
    }
    return pending.done;
  }

  /** Writes everything held now and waits (at most 5 s) for every write in flight. */
  async flush(): Promise<void> {
    this.#writePending();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), timeout]);
    clearTimeout(timer);
  }

  #writePending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    const write = this.#write(pending.records).finally(() => {
      this.#held -= pending.records.length;
      this.#inFlight.delete(write);
      pending.resolve();
    });
    this.#inFlight.add(write);
  }

  async #write(records: Pending["records"]): Promise<void> {
    const { store } = this.#options;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0)
      this.#warn(records[0]?.record.node, `${dropped} boot records dropped: queue full`);
    // One batch per retention (the same for all unless the configuration was reloaded).
    const byRetention = new Map<number, BootRecord[]>();
    for (const { record, retentionSeconds } of records) {
      const list = byRetention.get(retentionSeconds) ?? [];
      list.push(record);
      byRetention.set(retentionSeconds, list);
    }
    for (const [retention, list] of byRetention) {
      if (store.recordBoots !== undefined) {
        try {
          await store.recordBoots(list, retention);
        } catch (error) {
          this.#warn(list[0]?.node, error, list.length);
        }
        continue;
      }
      // A store without batches (a test double): one write each, each failure its own warning.
      for (const record of list) {
        try {
          await store.recordBoot?.(record, retention);
        } catch (error) {
          this.#warn(record.node, error);
        }
      }
    }
  }

  #warn(node: string | undefined, error: unknown, records = 1): void {
    this.#options.logger.warn("boot history not recorded", {
      node,
      ...(records > 1 ? { records } : {}),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
