import type { Context } from "hono";
import type { Config } from "../config/index.ts";
import type { LogFields, Logger } from "../log/index.ts";
import type { BootStore } from "../store/types.ts";

/** Everything the app needs from its runtime; each entry point (Node, Lambda, Workers) wires these. */
export interface AppDeps {
  config: Config;
  store: BootStore;
  logger: Logger;
  /** Milliseconds since the epoch; injectable so tests can pin time. */
  now?: () => number;
  /** The requesting machine's address as the runtime sees it (socket, Lambda event, CF header). */
  clientAddress?: (c: Context) => string | undefined;
}

export interface AppEnv {
  Variables: {
    /** Fields a route adds to the request's single log line. */
    logFields: LogFields;
  };
}
