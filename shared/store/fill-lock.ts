/**
 * FillLock on the swiftboot DynamoDB table (see shared/store/table.ts): one item per locked key,
 * `pk = LOCK#<key>`, `sk = LOCK`, holding `owner` and `ttl` (epoch seconds).
 *
 * Acquire is a conditional put that succeeds when no lock item exists or when the existing one
 * has expired. The expiry must be part of the condition: DynamoDB's TTL deletion is lazy (items
 * can linger for days past their `ttl`), so it is only housekeeping here, never the mechanism.
 * Release is a delete conditional on the owner, so an instance whose lock expired and was taken
 * over cannot release the new holder's lock.
 *
 * The raw DocumentClient is used rather than dynamodb-toolbox: the lock is two conditional writes
 * on an item no other code reads.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { FillLock } from "../cache/lock.ts";
import { toStoreError } from "./aws-errors.ts";
import { TTL_ATTRIBUTE } from "./table.ts";

export interface DynamoFillLockOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Only used in error messages (the client's own retry budget bounds the calls). */
  timeoutMs?: number;
}

export const LOCK_SORT_KEY = "LOCK";

export function lockPartitionKey(key: string): string {
  return `LOCK#${key}`;
}

export function createDynamoFillLock(options: DynamoFillLockOptions): FillLock {
  const { client, table } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 0;

  return {
    async tryAcquire(key: string, ttlSeconds: number, owner: string): Promise<boolean> {
      const nowSeconds = Math.floor(now() / 1000);
      try {
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              pk: lockPartitionKey(key),
              sk: LOCK_SORT_KEY,
              owner,
              [TTL_ATTRIBUTE]: nowSeconds + Math.max(1, Math.ceil(ttlSeconds)),
            },
            ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
            ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ":now": nowSeconds },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw toStoreError(err, `acquire fill lock ${key}`, timeoutMs);
      }
    },

    async release(key: string, owner: string): Promise<void> {
      try {
        await client.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: lockPartitionKey(key), sk: LOCK_SORT_KEY },
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": owner },
          }),
        );
      } catch (err) {
        // Not ours (taken over after expiry) or already gone: nothing to release.
        if (isConditionFailed(err)) return;
        throw toStoreError(err, `release fill lock ${key}`, timeoutMs);
      }
    },
  };
}

function isConditionFailed(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string } | null)?.name === "ConditionalCheckFailedException"
  );
}
