export type { DynamoStoreOptions } from "./client.ts";
export { createDynamoClient, LOCAL_CREDENTIALS } from "./client.ts";
export type { DynamoStore } from "./dynamo-store.ts";
export { createDynamoStore } from "./dynamo-store.ts";
export { ensureTable } from "./ensure-table.ts";
export * from "./errors.ts";
export { TTL_ATTRIBUTE } from "./table.ts";
export type { AdminStore, BootStore } from "./types.ts";
