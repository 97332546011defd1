import type { Context } from "hono";
import { BootHistoryQueue } from "../../boot/history-queue.ts";
import type { BootLogFields } from "../../boot/index.ts";
import type { Config } from "../../config/index.ts";
import type { Logger } from "../../log/index.ts";
import { isoTime } from "../../log/index.ts";
import { PROVISION_STATES, type ProvisionState } from "../../model/index.ts";
import type { BootRecord } from "../../store/boot-record.ts";
import type { BootStore } from "../../store/types.ts";

/** The history entry for a script, from the same fields the request log gets (no URLs). */
export function bootRecordOf(
  fields: BootLogFields,
  at: Date,
  client: string | undefined,
): BootRecord | undefined {
  if (fields.node === undefined) return undefined; // unknown machines have no node to file it under
  const record: BootRecord = {
    at: isoTime(at.getTime()),
    node: fields.node,
    attempt: fields.attempt,
    outcome: fields.outcome,
    url_mode: fields.url_mode,
  };
  // Set one by one (no spreads or filtered copies: this runs for every script), in this order.
  if (client !== undefined) record.client = client.slice(0, 100);
  if (fields.mac !== undefined) record.mac = fields.mac;
  if (fields.uuid !== undefined) record.uuid = fields.uuid;
  if (fields.arch !== undefined) record.arch = fields.arch;
  if (fields.platform !== undefined) record.platform = fields.platform;
  if (fields.state !== undefined && STATES.has(fields.state)) {
    record.state = fields.state as ProvisionState;
  }
  if (fields.purpose !== undefined) record.purpose = fields.purpose;
  if (fields.kernel !== undefined) record.kernel = fields.kernel;
  if (fields.ramdisk !== undefined) record.ramdisk = fields.ramdisk;
  if (fields.expires_at !== undefined) record.expires_at = fields.expires_at;
  if (fields.reason !== undefined) record.reason = fields.reason.slice(0, 1000);
  return record;
}

const STATES: ReadonlySet<string> = new Set(PROVISION_STATES);

/** Node: how long a boot record waits for others before its batch is written. */
export const NODE_HISTORY_DELAY_MS = 50;

/**
 * Appends the script just served to the node's boot history without holding up the answer: queued
 * (BootHistoryQueue: batched, bounded, a failure is a warning in the log) and never awaited here.
 * Where the runtime would freeze (Lambda) or cancel (Workers) work left after the response, the
 * write is handed to `executionCtx.waitUntil` and the queue writes at the next macrotask;
 * on Node, the queue waits a short timer for other machines' records.
 */
export function bootHistoryRecorder(deps: {
  config: Config;
  store: BootStore;
  logger: Logger;
  bootHistory?: BootHistoryQueue;
}) {
  let queue = deps.bootHistory;
  // Whether this runtime passes an execution context: the same for every request of an app, and
  // probing it costs a thrown Error on Node, so it is probed once.
  let hasExecutionCtx: boolean | undefined;
  return (c: Context, fields: BootLogFields, at: Date, client: string | undefined): void => {
    const days = deps.config.admin.boot_history_days;
    if (days === 0 || fields.node === undefined) return;
    if (deps.store.recordBoot === undefined && deps.store.recordBoots === undefined) return;
    const record = bootRecordOf(fields, at, client);
    if (record === undefined) return;
    if (hasExecutionCtx === undefined) {
      try {
        hasExecutionCtx = typeof c.executionCtx.waitUntil === "function";
      } catch {
        hasExecutionCtx = false; // Node: no execution context
      }
    }
    queue ??= new BootHistoryQueue({
      store: deps.store,
      logger: deps.logger,
      delayMs: hasExecutionCtx ? 0 : NODE_HISTORY_DELAY_MS,
    });
    const written = queue.add(record, days * 86_400);
    if (hasExecutionCtx) c.executionCtx.waitUntil(written);
  };
}
