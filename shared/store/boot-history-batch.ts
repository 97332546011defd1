import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { bootItem } from "./boot-history.ts";
import type { BootRecord } from "./boot-record.ts";
import { call, type StoreContext } from "./context.ts";
import { StoreUnavailableError } from "./errors.ts";
import { withTimeBudget } from "./time-budget.ts";

/** BatchWriteItem's limit per request. */
export const BOOT_BATCH_SIZE = 25;
/** Rounds of retrying UnprocessedItems (throttling) before the rest is given up. */
const MAX_ROUNDS = 4;

/**
 * Boot records in BatchWriteItem requests of up to 25, one request in flight per chunk, within
 * one time budget. UnprocessedItems are retried a few times with back-off, then given up with a
 * StoreUnavailableError saying how many: history is best effort and never retried forever. An
 * invalid record is dropped alone (named in the error thrown once the rest is written).
 */
export function recordBoots(
  ctx: StoreContext,
  records: readonly BootRecord[],
  retentionSeconds: number,
): Promise<void> {
  return withTimeBudget(ctx.timeoutMs, (signal) =>
    writeBoots(ctx, records, retentionSeconds, signal),
  );
}

async function writeBoots(
  ctx: StoreContext,
  records: readonly BootRecord[],
  retentionSeconds: number,
  signal: AbortSignal,
): Promise<void> {
  const items: Record<string, unknown>[] = [];
  const invalid: string[] = [];
  for (const record of records) {
    try {
      items.push(bootItem(record, retentionSeconds));
    } catch (error) {
      invalid.push(error instanceof Error ? error.message : String(error));
    }
  }
  const deadline = Date.now() + ctx.timeoutMs;
  let lost = 0;
  for (let i = 0; i < items.length; i += BOOT_BATCH_SIZE) {
    let pending = items.slice(i, i + BOOT_BATCH_SIZE);
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        const delay = Math.min(25 * 2 ** round, 400);
        if (round >= MAX_ROUNDS || Date.now() + delay >= deadline) {
          lost += pending.length;
          break;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
      const output = await call(
        ctx,
        `BatchWriteItem ${pending.length} BOOT`,
        (options) =>
          ctx.documentClient.send(
            new BatchWriteCommand({
              RequestItems: { [ctx.tableName]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
            options,
          ),
        signal,
      );
      pending = (output.UnprocessedItems?.[ctx.tableName] ?? []).flatMap((r) =>
        r.PutRequest?.Item === undefined ? [] : [r.PutRequest.Item],
      );
    }
  }
  if (lost > 0)
    throw new StoreUnavailableError(
      `DynamoDB left ${lost} of ${items.length} boot records unprocessed (throttled); not retried`,
    );
  if (invalid.length > 0)
    throw new Error(`${invalid.length} invalid boot record(s) dropped: ${invalid[0]}`);
}
