import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndexDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { LIST_INDEX, LIST_PK, LIST_SK, TTL_ATTRIBUTE } from "./table.ts";

const isNamed = (error: unknown, name: string) =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;

const LIST_INDEX_ATTRIBUTES = [
  { AttributeName: LIST_PK, AttributeType: "S" as const },
  { AttributeName: LIST_SK, AttributeType: "S" as const },
];

const LIST_INDEX_SPEC = {
  IndexName: LIST_INDEX,
  KeySchema: [
    { AttributeName: LIST_PK, KeyType: "HASH" as const },
    { AttributeName: LIST_SK, KeyType: "RANGE" as const },
  ],
  Projection: { ProjectionType: "ALL" as const },
};

/**
 * Creates the table if it is missing (on-demand, `pk`/`sk`, the `gsi1` listing index), waits
 * until it is ACTIVE, adds the index to a table created before it existed, and turns TTL on for
 * `ttl`. Idempotent, and safe when several processes call it at once. For local runs and tests;
 * production tables come from the infrastructure code.
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
            ...LIST_INDEX_ATTRIBUTES,
          ],
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          GlobalSecondaryIndexes: [LIST_INDEX_SPEC],
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

  await ensureListIndex(client, tableName, maxWaitSeconds);

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

/** Adds `gsi1` to a table created without it, and waits until the index is ACTIVE. */
async function ensureListIndex(
  client: DynamoDBClient,
  tableName: string,
  maxWaitSeconds: number,
): Promise<void> {
  const describe = async (): Promise<GlobalSecondaryIndexDescription | undefined> => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === LIST_INDEX);
  };
  let index = await describe();
  if (index === undefined) {
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: LIST_INDEX_ATTRIBUTES,
          GlobalSecondaryIndexUpdates: [{ Create: LIST_INDEX_SPEC }],
        }),
      );
    } catch (error) {
      // Another process is adding it (or already did).
      if (!isNamed(error, "ValidationException") && !isNamed(error, "ResourceInUseException"))
        throw error;
    }
    index = await describe();
  }
  const deadline = Date.now() + maxWaitSeconds * 1000;
  while (index?.IndexStatus !== undefined && index.IndexStatus !== "ACTIVE") {
    if (Date.now() > deadline) {
      throw new Error(`index ${LIST_INDEX} of ${tableName} is still ${index.IndexStatus}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    index = await describe();
  }
}
