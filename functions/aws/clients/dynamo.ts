import type { Config } from "../../../shared/config/index.ts";
import type { DynamoStoreOptions } from "../../../shared/store/client.ts";

/** The store options a function's configuration names. */
export function storeOptions(config: Config): DynamoStoreOptions {
  return {
    table: config.store.table,
    region: config.store.region,
    timeoutMs: config.store.timeout_ms,
    ...(config.store.endpoint === undefined ? {} : { endpoint: config.store.endpoint }),
  };
}
