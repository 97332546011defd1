import type { Config } from "../config/index.ts";
import type { DynamoStoreOptions } from "./client.ts";

/**
 * The store options a configuration names, for every runtime. `overrides` carries what only the
 * runtime knows: the DynamoDB Local a local process found, the credentials a Worker was given.
 */
export function storeOptions(
  config: Config,
  overrides: Pick<DynamoStoreOptions, "endpoint" | "credentials"> = {},
): DynamoStoreOptions {
  const endpoint = "endpoint" in overrides ? overrides.endpoint : config.store.endpoint;
  return {
    table: config.store.table,
    region: config.store.region,
    timeoutMs: config.store.timeout_ms,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(overrides.credentials === undefined ? {} : { credentials: overrides.credentials }),
  };
}
