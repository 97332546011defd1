/**
 * Vitest global setup for the integration project: one DynamoDB Local for every test file (each
 * file creates its own table).
 *
 * - Default: starts DynamoDB Local in memory on a free port (`functions/local/dynamodb-local.ts`,
 *   which fetches the jar into `.cache/dynamodb-local/` on first use) and stops it in teardown;
 *   its watchdog also stops it if this process dies without teardown.
 * - `SWIFTBOOT_TEST_DYNAMODB_ENDPOINT=http://host:port`: use that DynamoDB instead.
 *
 * Test files read the endpoint with `inject("dynamodbEndpoint")`.
 */
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../functions/local/dynamodb-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** DynamoDB endpoint, e.g. http://127.0.0.1:41234 (any credentials are accepted). */
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.SWIFTBOOT_TEST_DYNAMODB_ENDPOINT;
  if (given) {
    project.provide("dynamodbEndpoint", given.replace(/\/+$/, ""));
    return async () => {};
  }
  const local = await startDynamoDbLocal({ port: 0 });
  console.log(`DynamoDB Local on ${local.endpoint} (answered after ${local.startupMs} ms)`);
  project.provide("dynamodbEndpoint", local.endpoint);
  return () => local.stop();
}
