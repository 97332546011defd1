import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { BatchGetRequest } from "dynamodb-toolbox/entity/actions/batchGet";
import { EntityFormatter } from "dynamodb-toolbox/entity/actions/format";
import { ID_PATTERN, type Image } from "../model/index.ts";
import { call, formatOrCorrupt, type StoreContext } from "./context.ts";
import { StoreUnavailableError } from "./errors.ts";
import { imageFromItem } from "./records.ts";
import { withTimeBudget } from "./time-budget.ts";

/** BatchGetItem's limit per request. */
const BATCH_SIZE = 100;

/**
 * Images by id with BatchGetItem, retrying UnprocessedKeys (throttling) with back-off until the
 * time budget runs out. Each item is formatted and validated on its own so a corrupt one is named.
 */
export function batchGetImages(
  ctx: StoreContext,
  ids: readonly string[],
): Promise<Map<string, Image>> {
  // One budget for every request and back-off of this lookup.
  return withTimeBudget(ctx.timeoutMs, (signal) => readImages(ctx, ids, signal));
}

async function readImages(
  ctx: StoreContext,
  ids: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, Image>> {
  const found = new Map<string, Image>();
  const wanted = [...new Set(ids)].filter((id) => ID_PATTERN.test(id));
  const deadline = Date.now() + ctx.timeoutMs;
  for (let i = 0; i < wanted.length; i += BATCH_SIZE) {
    let keys = wanted
      .slice(i, i + BATCH_SIZE)
      .map((id) => ctx.image.build(BatchGetRequest).key({ id }).params());
    for (let round = 0; keys.length > 0; round++) {
      if (round > 0) {
        const delay = Math.min(25 * 2 ** round, 500);
        if (Date.now() + delay >= deadline) {
          throw new StoreUnavailableError(
            `DynamoDB left ${keys.length} image reads unprocessed (throttled) within ${ctx.timeoutMs} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, delay));
      }
      const output = await call(
        ctx,
        "BatchGetItem images",
        (options) =>
          ctx.documentClient.send(
            new BatchGetCommand({ RequestItems: { [ctx.tableName]: { Keys: keys } } }),
            options,
          ),
        signal,
      );
      for (const raw of output.Responses?.[ctx.tableName] ?? []) {
        const key = String(raw.pk);
        const item = formatOrCorrupt(key, () => ctx.image.build(EntityFormatter).format(raw));
        const { version: _version, ...record } = item;
        const image = imageFromItem(key, record);
        found.set(image.id, image);
      }
      keys = (output.UnprocessedKeys?.[ctx.tableName]?.Keys ?? []) as typeof keys;
    }
  }
  return found;
}
