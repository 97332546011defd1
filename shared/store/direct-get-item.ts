import { type DirectCall, unreadableAnswer } from "./direct-call.ts";

/** A DynamoDB attribute value as the JSON protocol returns it (`{"S": "..."}`, ...). */
export type AttributeValue = Readonly<Record<string, unknown>>;
export type AttributeMap = Readonly<Record<string, AttributeValue>>;

export interface DirectGetOptions {
  consistent: boolean;
  /** Bounds the whole read, retries included. */
  signal: AbortSignal;
}

export type DirectGetItem = (
  key: { pk: string; sk: string },
  options: DirectGetOptions,
) => Promise<AttributeMap | undefined>;

/**
 * GetItem of one item of `table` through `call` (direct-call.ts): the boot path's one read per
 * script. The item comes back raw (attribute values as DynamoDB sends them): the caller checks the
 * attributes it reads.
 */
export function createDirectGetItem(call: DirectCall, table: string): DirectGetItem {
  return async (key, { consistent, signal }) => {
    const describe = `GetItem ${key.pk}`;
    const answer = await call(
      "GetItem",
      {
        TableName: table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: consistent,
      },
      describe,
      signal,
    );
    const item = answer.Item;
    if (item === undefined) return undefined;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw unreadableAnswer(describe, "Item is not an attribute map");
    return item as AttributeMap;
  };
}
