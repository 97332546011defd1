import { marshall } from "@aws-sdk/util-dynamodb";
import { bootItem } from "./boot-history.ts";
import type { BootRecord } from "./boot-record.ts";
import type { StoreContext } from "./context.ts";
import { unreadableAnswer } from "./direct-call.ts";
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
  // Marshalled here and sent without the SDK's middleware (direct-call.ts): per record about a
  // fifth of the client CPU of the DocumentClient's BatchWriteItem.
  const items: PutRequest[] = [];
  const invalid: string[] = [];
  for (const record of records) {
    try {
      items.push({
        PutRequest: {
          Item: marshall(bootItem(record, retentionSeconds), { removeUndefinedValues: true }),
        },
      });
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
      const describe = `BatchWriteItem ${pending.length} BOOT`;
      const output = await ctx.direct(
        "BatchWriteItem",
        { RequestItems: { [ctx.tableName]: pending } },
        describe,
        signal,
      );
      pending = unprocessed(output, ctx.tableName, describe);
    }
  }
  if (lost > 0)
    throw new StoreUnavailableError(
      `DynamoDB left ${lost} of ${items.length} boot records unprocessed (throttled); not retried`,
    );
  if (invalid.length > 0)
    throw new Error(`${invalid.length} invalid boot record(s) dropped: ${invalid[0]}`);
}

interface PutRequest {
  PutRequest: { Item: Record<string, unknown> };
}

/** The answer's UnprocessedItems for `table`, to send again (DynamoDB hands them back as sent). */
function unprocessed(
  output: Readonly<Record<string, unknown>>,
  table: string,
  describe: string,
): PutRequest[] {
  const all = output.UnprocessedItems;
  if (all === undefined) return [];
  const left =
    typeof all === "object" && all !== null ? (all as Record<string, unknown>)[table] : all;
  if (left === undefined) return [];
  if (
    !Array.isArray(left) ||
    !left.every(
      (r: unknown) =>
        typeof (r as PutRequest | undefined)?.PutRequest?.Item === "object" &&
        (r as PutRequest).PutRequest.Item !== null,
    )
  )
    throw unreadableAnswer(describe, "UnprocessedItems is not a list of put requests");
  return left as PutRequest[];
}
