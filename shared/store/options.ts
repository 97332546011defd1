import type { Config } from "../config/index.ts";
import type { DynamoStoreOptions } from "./client.ts";

/**
 * The store options a configuration names, for every runtime. What only the runtime knows (the
 * DynamoDB Local a local process found, the credentials a Worker was given) is spread over them.
 */
export function storeOptions(config: Config): DynamoStoreOptions {
  return {
    table: config.store.table,
    region: config.store.region,
    timeoutMs: config.store.timeout_ms,
    ...(config.store.endpoint === undefined ? {} : { endpoint: config.store.endpoint }),
  };
}
