import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../shared/config/index.ts";
import { createDynamoStore, type DynamoStore, ensureTable } from "../../shared/store/index.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { startDynamoDbLocal } from "./dynamodb-local.ts";

export interface LocalStore {
  store: DynamoStore;
  endpoint: string;
  /** Where it came from, for the start-up banner. */
  origin: "configured" | "started" | "shared";
  close(): Promise<void>;
}

/** A running `npm start` records its DynamoDB Local here so the CLI can share it. */
const handoffFile = (config: Config) => join(config.local.data_dir, "dynamodb-local.json");

function runningLocalEndpoint(config: Config): string | undefined {
  const file = handoffFile(config);
  if (!existsSync(file)) return undefined;
  try {
    const { endpoint, pid } = JSON.parse(readFileSync(file, "utf8")) as {
      endpoint: string;
      pid: number;
    };
    process.kill(pid, 0); // throws if that process is gone
    return endpoint;
  } catch {
    return undefined;
  }
}

/**
 * The store a local process uses: `store.endpoint` when configured; else the DynamoDB Local that a
 * running `npm start` owns (one database directory can't be opened twice); else a DynamoDB Local
 * of our own on `local.data_dir`, which `share` publishes for other local processes.
 */
export async function openLocalStore(config: Config, { share = false } = {}): Promise<LocalStore> {
  const open = (endpoint: string | undefined) =>
    createDynamoStore({ ...storeOptions(config), endpoint });

  if (config.store.endpoint !== undefined) {
    const store = open(config.store.endpoint);
    return {
      store,
      endpoint: config.store.endpoint,
      origin: "configured",
      close: async () => store.client.destroy(),
    };
  }
  const shared = share ? undefined : runningLocalEndpoint(config);
  if (shared !== undefined) {
    const store = open(shared);
    return { store, endpoint: shared, origin: "shared", close: async () => store.client.destroy() };
  }
  const ddb = await startDynamoDbLocal({ dbPath: join(config.local.data_dir, "dynamodb") });
  const store = open(ddb.endpoint);
  await ensureTable(store.client, config.store.table);
  if (share)
    writeFileSync(
      handoffFile(config),
      JSON.stringify({ endpoint: ddb.endpoint, pid: process.pid }),
    );
  return {
    store,
    endpoint: ddb.endpoint,
    origin: "started",
    close: async () => {
      store.client.destroy();
      if (share) rmSync(handoffFile(config), { force: true });
      await ddb.stop();
    },
  };
}
