import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { EntityFormatter } from "dynamodb-toolbox/entity/actions/format";
import { type Image, type Node, PROVISION_STATES } from "../model/index.ts";
import * as z from "../validation/zod.ts";
import { call, formatOrCorrupt, type StoreContext } from "./context.ts";
import { decodeCursor, encodeCursor, lastIdSchema } from "./cursor.ts";
import { InvalidCursorError } from "./errors.ts";
import { imageFromItem, nodeFromItem } from "./records.ts";
import {
  IMAGES_PARTITION,
  LIST_INDEX,
  LIST_PK,
  LIST_SK,
  NODE_SHARDS,
  nodeListPartition,
} from "./table.ts";
import type { NodeQuery, Page, PageRequest } from "./types.ts";

/**
 * Admin listings over the `gsi1` index (table.ts): Queries only, one partition at a time, each
 * resumed after the last id returned (`gsi1sk > :after`), so a cursor is just (partition, id).
 */

/** Up to `limit` raw items of one index partition after `after`, and whether it has more. */
async function queryPartition(
  ctx: StoreContext,
  partition: string,
  after: string | undefined,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; more: boolean }> {
  const items: Record<string, unknown>[] = [];
  let cursor = after;
  for (;;) {
    const output = await call(ctx, `Query ${LIST_INDEX} ${partition}`, (options) =>
      ctx.documentClient.send(
        new QueryCommand({
          TableName: ctx.tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression: cursor === undefined ? "#pk = :pk" : "#pk = :pk AND #sk > :after",
          ExpressionAttributeNames: {
            "#pk": LIST_PK,
            ...(cursor === undefined ? {} : { "#sk": LIST_SK }),
          },
          ExpressionAttributeValues: {
            ":pk": partition,
            ...(cursor === undefined ? {} : { ":after": cursor }),
          },
          Limit: limit - items.length,
        }),
        options,
      ),
    );
    items.push(...(output.Items ?? []));
    const more = output.LastEvaluatedKey !== undefined;
    // A Query stops at 1 MB: keep reading the same partition until the page is full.
    if (!more || items.length >= limit) return { items, more };
    cursor = String(output.LastEvaluatedKey?.[LIST_SK]);
  }
}

const nodeCursorSchema = z.strictObject({
  s: z.nullable(z.enum(PROVISION_STATES)),
  p: z.int().check(z.minimum(0)),
  k: z.optional(lastIdSchema),
});

export async function listNodes(ctx: StoreContext, query: NodeQuery): Promise<Page<Node>> {
  const states = query.state === undefined ? PROVISION_STATES : [query.state];
  const partitions = states.flatMap((state) =>
    Array.from({ length: NODE_SHARDS }, (_, shard) => nodeListPartition(state, shard)),
  );
  let position = { p: 0, k: undefined as string | undefined };
  if (query.cursor !== undefined) {
    const c = decodeCursor(nodeCursorSchema, query.cursor);
    if (c.s !== (query.state ?? null) || c.p >= partitions.length) {
      throw new InvalidCursorError("cursor: belongs to a listing with other filters");
    }
    position = { p: c.p, k: c.k };
  }
  const nodes: Node[] = [];
  while (position.p < partitions.length) {
    const partition = partitions[position.p] as string;
    const { items, more } = await queryPartition(
      ctx,
      partition,
      position.k,
      query.limit - nodes.length,
    );
    for (const raw of items) {
      const key = String(raw.pk);
      const item = formatOrCorrupt(key, () => ctx.node.build(EntityFormatter).format(raw));
      const { version: _version, ...record } = item;
      nodes.push(nodeFromItem(key, record));
    }
    if (nodes.length >= query.limit) {
      const last = nodes.at(-1)?.id;
      const next = more ? { p: position.p, k: last } : { p: position.p + 1, k: undefined };
      return next.p < partitions.length
        ? { items: nodes, cursor: encodeCursor({ s: query.state ?? null, ...next }) }
        : { items: nodes };
    }
    position = { p: position.p + 1, k: undefined };
  }
  return { items: nodes };
}

const imageCursorSchema = z.strictObject({ k: lastIdSchema });

export async function listImages(ctx: StoreContext, page: PageRequest): Promise<Page<Image>> {
  const after =
    page.cursor === undefined ? undefined : decodeCursor(imageCursorSchema, page.cursor).k;
  const { items, more } = await queryPartition(ctx, IMAGES_PARTITION, after, page.limit);
  const images = items.map((raw) => {
    const key = String(raw.pk);
    const item = formatOrCorrupt(key, () => ctx.image.build(EntityFormatter).format(raw));
    const { version: _version, ...record } = item;
    return imageFromItem(key, record);
  });
  const last = images.at(-1)?.id;
  return more && last !== undefined
    ? { items: images, cursor: encodeCursor({ k: last }) }
    : { items: images };
}
