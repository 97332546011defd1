import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Config, parseConfig, secretsOf } from "../../shared/config/index.ts";
import { type AppDeps, createApp } from "../../shared/http/index.ts";
import { createMemoryLogger } from "../../shared/log/index.ts";
import type { BootStore } from "../../shared/store/index.ts";

export interface TestServer {
  url: string;
  config: Config;
  /** Every request log line the app wrote, parsed. */
  logs: () => Record<string, unknown>[];
  /** The raw lines, to check for leaked secrets. */
  rawLogs: string[];
  close(): Promise<void>;
}

/** What a test may add to the app besides store and environment. */
export interface TestServerOptions {
  now?: () => number;
  cache?: AppDeps["cache"];
  fillLock?: AppDeps["fillLock"];
}

/**
 * The real app on a real socket (127.0.0.1, free port), as `npm start` serves it. The third
 * argument is the clock, or options (clock, artifact cache, fill lock).
 */
export async function startTestServer(
  store: BootStore,
  env: Record<string, string>,
  nowOrOptions?: (() => number) | TestServerOptions,
): Promise<TestServer> {
  const options: TestServerOptions =
    typeof nowOrOptions === "function" ? { now: nowOrOptions } : (nowOrOptions ?? {});
  const { now } = options;
  const config = parseConfig({ env });
  const { logger, lines, records } = createMemoryLogger({ secrets: secretsOf(config) });
  const app = createApp({
    config,
    store,
    logger,
    clientAddress: (c) => getConnInfo(c).remote.address,
    ...(now ? { now } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.fillLock ? { fillLock: options.fillLock } : {}),
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    logs: records,
    rawLogs: lines,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The kernel and initrd URLs of a rendered boot script, exactly as written. */
export function downloadUrls(script: string): { kernel: string; initrd: string } {
  const kernel = /^kernel (?:--\S+ \S+ )*(\S+)/m.exec(script)?.[1];
  const initrd = /^initrd (?:--\S+ \S+ )*(\S+)/m.exec(script)?.[1];
  if (kernel === undefined || initrd === undefined)
    throw new Error(`no kernel/initrd in:\n${script}`);
  return { kernel, initrd };
}
