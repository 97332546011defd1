import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { call, type StoreContext } from "./context.ts";
import type { TransactItem } from "./node-transaction.ts";
import { imageKey } from "./records.ts";

/**
 * Image usage items, `IMAGE#<image>` / `USEDBY#<node>`, written in node transactions (table.ts).
 * They live in the image's partition so that "who uses this image" is one Query.
 */

export const USED_BY_PREFIX = "USEDBY#";
const usedByKey = (nodeId: string) => `${USED_BY_PREFIX}${nodeId}`;

/** Idempotent: a node keeps writing the items of every image it uses, repairing lost ones. */
export function usagePut(ctx: StoreContext, imageId: string, nodeId: string): TransactItem {
  return {
    Put: {
      TableName: ctx.tableName,
      Item: { pk: imageKey(imageId), sk: usedByKey(nodeId), _et: "ImageUsage", nodeId },
    },
  };
}

/** Unconditional: the item is only ever this node's, and deleting a missing item is a no-op. */
export function usageDelete(ctx: StoreContext, imageId: string, nodeId: string): TransactItem {
  return {
    Delete: { TableName: ctx.tableName, Key: { pk: imageKey(imageId), sk: usedByKey(nodeId) } },
  };
}

/**
 * Bumps the image's usage version, on condition that the image exists: a deleteImage that
 * checked for users before this commits then fails its own condition (image-writes.ts).
 */
export function imageBump(ctx: StoreContext, imageId: string): TransactItem {
  return {
    Update: {
      TableName: ctx.tableName,
      Key: { pk: imageKey(imageId), sk: "IMAGE" },
      UpdateExpression: "ADD #uv :one",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#uv": "_uv" },
      ExpressionAttributeValues: { ":one": 1 },
    },
  };
}

/** Up to `limit` ids of nodes using the image (strongly consistent), and whether there are more. */
export async function imageUsers(
  ctx: StoreContext,
  imageId: string,
  limit: number,
): Promise<{ nodeIds: string[]; more: boolean }> {
  const { Items = [] } = await call(
    ctx,
    `Query ${imageKey(imageId)} ${USED_BY_PREFIX}`,
    (options) =>
      ctx.documentClient.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": imageKey(imageId), ":prefix": USED_BY_PREFIX },
          ProjectionExpression: "sk",
          ConsistentRead: true,
          Limit: limit + 1,
        }),
        options,
      ),
  );
  const nodeIds = Items.map((i) => String(i.sk).slice(USED_BY_PREFIX.length));
  return { nodeIds: nodeIds.slice(0, limit), more: nodeIds.length > limit };
}
