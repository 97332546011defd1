import type { Context, MiddlewareHandler } from "hono";
import type { OriginFetch } from "../artifacts/origin.ts";
import type { BootHistoryQueue } from "../boot/history-queue.ts";
import type { FillLock } from "../cache/lock.ts";
import type { ArtifactCache } from "../cache/types.ts";
import type { Config } from "../config/index.ts";
import type { LogFields, Logger } from "../log/index.ts";
import type { AdminStore, BootStore } from "../store/types.ts";

/** Everything the app needs from its runtime; each entry point (Node, Lambda, Workers) wires these. */
export interface AppDeps {
  config: Config;
  store: BootStore;
  logger: Logger;
  /** Milliseconds since the epoch; injectable so tests can pin time. */
  now?: () => number;
  /** The requesting machine's address as the runtime sees it (socket, Lambda event, CF header). */
  clientAddress?: (c: Context) => string | undefined;
  /**
   * The boot history queue, for an entry point that flushes it on shutdown (functions/local);
   * default: one per app, over `store`.
   */
  bootHistory?: BootHistoryQueue;
  /** The artifact cache behind `/v1/artifacts/...`; without one that route answers 503. */
  cache?: ArtifactCache;
  /** Cross-instance fill lock (DynamoDB on AWS); default: none (every instance may fill). */
  fillLock?: FillLock;
  /**
   * How cache fills reach images' origins; default: the global fetch. Node entry points pass
   * `nodeOriginFetch` (functions/node/origin-fetch.ts).
   */
  originFetch?: OriginFetch;
  /**
   * The store behind the admin API under `/v1` (served when `admin.tokens` is set). Default:
   * `store` itself when it is a full AdminStore (the DynamoDB store is).
   */
  adminStore?: AdminStore;
  /** The admin API's authentication when not bearer tokens (AWS: the IAM principal). */
  adminAuth?: MiddlewareHandler<AppEnv>;
}

export interface AppEnv {
  Variables: {
    /** Fields a route adds to the request's single log line. */
    logFields: LogFields;
  };
}
