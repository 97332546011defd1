import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { TTL_ATTRIBUTE } from "./table.ts";

const isNamed = (error: unknown, name: string) =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;

/**
 * Creates the table if it is missing (on-demand, `pk`/`sk`), waits until it is ACTIVE, and turns
 * TTL on for `ttl`. Idempotent, and safe when several processes call it at once. For local runs
 * and tests; production tables come from the infrastructure code.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  { maxWaitSeconds = 60 }: { maxWaitSeconds?: number } = {},
): Promise<void> {
  let exists = true;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!isNamed(error, "ResourceNotFoundException")) throw error;
    exists = false;
  }
  if (!exists) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: "pk", AttributeType: "S" },
            { AttributeName: "sk", AttributeType: "S" },
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
        }),
      );
    } catch (error) {
      // Someone else created it meanwhile.
      if (!isNamed(error, "ResourceInUseException")) throw error;
    }
  }
  await waitUntilTableExists(
    { client, maxWaitTime: maxWaitSeconds, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );

  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === "ENABLED" || status === "ENABLING") return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
      }),
    );
  } catch (error) {
    // A concurrent caller enabled it first ("TimeToLive is already enabled").
    if (!(isNamed(error, "ValidationException") && /already enabled/i.test(String(error))))
      throw error;
  }
}
