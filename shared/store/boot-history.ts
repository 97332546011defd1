import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ID_PATTERN } from "../model/index.ts";
import * as z from "../validation/zod.ts";
import { type BootRecord, bootRecordSchema } from "./boot-record.ts";
import { call, type StoreContext } from "./context.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { CorruptRecordError, InvalidRecordError } from "./errors.ts";
import { nodeKey } from "./records.ts";
import { TTL_ATTRIBUTE } from "./table.ts";
import type { Page, PageRequest } from "./types.ts";

/**
 * Boot history: `NODE#<id>` / `BOOT#<iso time>#<random>` items in the node's own partition
 * (table.ts), expired by DynamoDB's TTL. Sort keys order by time, so newest-first is a reverse
 * Query; the random suffix keeps two boots in the same millisecond apart.
 */

const BOOT_PREFIX = "BOOT#";

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A boot record as its table item (validated; InvalidRecordError names what is wrong). */
export function bootItem(input: BootRecord, retentionSeconds: number): Record<string, unknown> {
  const parsed = bootRecordSchema.safeParse(input);
  if (!parsed.success)
    throw new InvalidRecordError(`${nodeKey(input.node)} BOOT`, parsed.error.message);
  const record = parsed.data;
  const ttl = Math.floor(Date.parse(record.at) / 1000) + retentionSeconds;
  return {
    pk: nodeKey(record.node),
    sk: `${BOOT_PREFIX}${record.at}#${randomSuffix()}`,
    _et: "Boot",
    ...record,
    [TTL_ATTRIBUTE]: ttl,
  };
}

export async function recordBoot(
  ctx: StoreContext,
  input: BootRecord,
  retentionSeconds: number,
): Promise<void> {
  const item = bootItem(input, retentionSeconds);
  await call(ctx, `PutItem ${item.pk} BOOT`, (options) =>
    ctx.documentClient.send(new PutCommand({ TableName: ctx.tableName, Item: item }), options),
  );
}

const bootCursorSchema = z.strictObject({
  k: z.string().check(z.startsWith(BOOT_PREFIX), z.maxLength(100)),
});

export async function listBoots(
  ctx: StoreContext,
  nodeId: string,
  page: PageRequest,
): Promise<Page<BootRecord>> {
  const before =
    page.cursor === undefined ? undefined : decodeCursor(bootCursorSchema, page.cursor).k;
  if (!ID_PATTERN.test(nodeId)) return { items: [] };
  const pk = nodeKey(nodeId);
  const now = Math.floor(Date.now() / 1000);
  const records: BootRecord[] = [];
  let after = before; // exclusive: the sort key of the last item already returned
  for (;;) {
    const output = await call(ctx, `Query ${pk} ${BOOT_PREFIX}`, (options) =>
      ctx.documentClient.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression:
            after === undefined
              ? "pk = :pk AND begins_with(sk, :prefix)"
              : "pk = :pk AND sk BETWEEN :prefix AND :after",
          ExpressionAttributeValues: {
            ":pk": pk,
            ":prefix": BOOT_PREFIX,
            ...(after === undefined ? {} : { ":after": after }),
          },
          ScanIndexForward: false,
          // BETWEEN is inclusive: one more, for the cursor's own item, skipped below.
          Limit: page.limit - records.length + 1,
        }),
        options,
      ),
    );
    for (const item of output.Items ?? []) {
      const sk = String(item.sk);
      if (sk === after) continue;
      if (records.length >= page.limit)
        return { items: records, cursor: encodeCursor({ k: after }) };
      after = sk;
      // TTL deletes within days of expiry, not at once: hide what has expired already.
      if (typeof item[TTL_ATTRIBUTE] === "number" && item[TTL_ATTRIBUTE] < now) continue;
      const { pk: _pk, sk: _sk, _et, [TTL_ATTRIBUTE]: _ttl, ...fields } = item;
      const parsed = bootRecordSchema.safeParse(fields);
      if (!parsed.success) throw new CorruptRecordError(`${pk} ${sk}`, parsed.error.message);
      records.push(parsed.data);
    }
    const lastEvaluated = output.LastEvaluatedKey?.sk;
    if (lastEvaluated === undefined) return { items: records };
    if (records.length >= page.limit) return { items: records, cursor: encodeCursor({ k: after }) };
    after = String(lastEvaluated);
  }
}
