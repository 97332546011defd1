import { existsSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { BootHistoryQueue } from "../../shared/boot/history-queue.ts";
import { type FsCache, openFsCache } from "../../shared/cache/adapters/fs.ts";
import { CONFIG_FILE_ENV, type Config, ConfigError, secretsOf } from "../../shared/config/index.ts";
import { createApp } from "../../shared/http/index.ts";
import { NODE_HISTORY_DELAY_MS } from "../../shared/http/routes/record-boot.ts";
import { DEMO_NODE_MAC, demoDocument, importRecords } from "../../shared/import/index.ts";
import { createJsonLogger, type Logger } from "../../shared/log/index.ts";
import type { AdminStore } from "../../shared/store/index.ts";
import { stdoutLineWriter } from "../node/stdout-lines.ts";
import { loadLocalConfig } from "./config.ts";
import { demoArtifactResponse, withDemoOrigins } from "./demo-artifacts.ts";
import { removeFillLeftovers } from "./fill-leftovers.ts";
import { FsFillLock, localLockDir } from "./fs-fill-lock.ts";
import { restartOnlyChanges, watchConfigFile, withBoundOptions } from "./reload.ts";
import {
  listenFailure,
  publicUrlLines,
  startConfigWarnings,
  startImageWarnings,
} from "./start-report.ts";
import { openLocalStore } from "./store.ts";
import { readTls, reloadTlsOnChange, tlsFiles } from "./tls.ts";

/**
 * The demo set is loaded once per data directory, so deleting the demo node doesn't bring it
 * back on the next start.
 */
async function loadDemoOnce(config: Config, store: AdminStore, logger: Logger): Promise<void> {
  const marker = join(config.local.data_dir, "demo-loaded");
  if (existsSync(marker)) return;
  const report = await importRecords(store, demoDocument);
  if (report.counts.failed > 0) {
    logger.warn("demo data not fully loaded", {
      failed: report.records.filter((r) => r.outcome === "failed"),
    });
    return;
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  logger.info("demo data loaded", report.counts);
}

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadLocalConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`swiftboot: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  let secrets = secretsOf(config);
  const write = stdoutLineWriter();
  const logger = createJsonLogger({ level: config.log.level, secrets, write });
  startConfigWarnings(config, logger);
  const local = await openLocalStore(config, { share: true });
  if (local.origin === "started") await loadDemoOnce(config, local.store, logger);
  await startImageWarnings(config, local.store, logger);

  // Cache mode: artifacts are cached under the data directory (see docs/artifacts.md).
  const cacheDir = join(config.local.data_dir, "cache");
  const cache = config.ipxe.use_swift
    ? undefined
    : await openFsCache(cacheDir, { sweepTemp: false });
  // The lock `swiftboot cache warm` takes too: the two never fill one artifact at once.
  const fillLock = new FsFillLock(localLockDir(config.local.data_dir));
  await removeFillLeftovers(cache, fillLock, logger);
  if (cache !== undefined) expireCachePeriodically(cache, config.local.cache_expiry_days, logger);
  // One boot history queue across configuration reloads, flushed when the server stops.
  const bootHistory = new BootHistoryQueue({
    store: local.store,
    logger,
    delayMs: NODE_HISTORY_DELAY_MS,
  });
  const appFor = (appConfig: Config, appLogger: Logger) =>
    createApp({
      config: appConfig,
      store: local.store,
      bootHistory,
      logger: appLogger,
      clientAddress: (c) => getConnInfo(c).remote.address,
      ...(cache === undefined ? {} : { cache, fillLock }),
      originFetch: withDemoOrigins(),
    });
  let running = { config, app: appFor(config, logger) };

  // Edits to the config file apply without a restart (functions/local/reload.ts).
  const reload = () => {
    let next: Config;
    try {
      next = loadLocalConfig();
    } catch (error) {
      // ConfigError names options and files, never values.
      logger.warn("configuration reload failed; the running configuration stays", {
        error: error instanceof ConfigError ? error.problems.join("; ") : String(error),
      });
      return;
    }
    const restartNeeded = restartOnlyChanges(running.config, next);
    const applied = withBoundOptions(running.config, next);
    // Every secret this process has held stays scrubbed from its logs.
    secrets = [...new Set([...secrets, ...secretsOf(applied)])];
    const appLogger = createJsonLogger({ level: applied.log.level, secrets, write });
    running = { config: applied, app: appFor(applied, appLogger) };
    appLogger.info(
      "configuration reloaded",
      restartNeeded.length === 0 ? {} : { restart_needed: restartNeeded },
    );
  };
  const configFile = process.env[CONFIG_FILE_ENV];
  const stopWatching = configFile ? watchConfigFile(configFile, reload) : () => {};

  // server.tls_cert + tls_key: HTTPS, for swiftboot's own HTTPS-capable iPXE (docs/ipxe.md).
  const tls = tlsFiles(config);
  let tlsOptions: ReturnType<typeof readTls> | undefined;
  try {
    tlsOptions = tls === undefined ? undefined : readTls(tls);
  } catch (error) {
    console.error(`swiftboot: ${(error as Error).message}`);
    process.exit(2);
  }
  const server = serve({
    // `/demo/...` is the demo images' origin, served here only (functions/local/demo-artifacts.ts).
    fetch: (request, env) => demoArtifactResponse(request) ?? running.app.fetch(request, env),
    hostname: config.server.host,
    port: config.server.port,
    ...(tlsOptions === undefined
      ? {}
      : { createServer: createHttpsServer, serverOptions: tlsOptions }),
  });
  const stopTlsReload =
    tls === undefined ? () => {} : reloadTlsOnChange(server as HttpsServer, tls, logger);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  } catch (error) {
    const why = listenFailure(error, config);
    if (why === undefined) throw error;
    console.error(`swiftboot: ${why}`);
    stopWatching();
    stopTlsReload();
    await local.close();
    process.exit(2);
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  const url = `${tls === undefined ? "http" : "https"}://${host}:${port}`;
  logger.info("listening", {
    url,
    mode: config.ipxe.use_swift ? "swift" : "artifacts",
    ...(cache === undefined ? {} : { cache: cacheDir }),
    store: local.origin === "configured" ? local.endpoint : `DynamoDB Local (${local.endpoint})`,
  });
  const mac = DEMO_NODE_MAC.replaceAll(":", "-");
  console.error(
    [
      "",
      `swiftboot is serving iPXE scripts on ${url}`,
      `  chain URL for iPXE:  ${config.ipxe.public_url ?? url}/boot.ipxe`,
      ...publicUrlLines(config, url),
      `  try it:              curl -s ${url}/boot/${mac}.ipxe`,
      ...adminHint(config, url),
      "  stop with Ctrl-C",
      "",
    ].join("\n"),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    stopWatching();
    stopTlsReload();
    server.close();
    await bootHistory.flush(); // boot records still held: nothing is lost on a clean stop
    await local.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

const HOUR_MS = 60 * 60 * 1000;

/** `local.cache_expiry_days`: expired files go at start and then every hour (0: never). */
function expireCachePeriodically(cache: FsCache, days: number, logger: Logger): void {
  if (days === 0) return;
  const expire = async () => {
    try {
      const removed = await cache.expire(days * 24 * HOUR_MS);
      if (removed > 0) logger.info("artifact cache expired", { removed, days });
    } catch (error) {
      logger.warn("artifact cache expiry failed", { error: String(error) });
    }
  };
  void expire();
  setInterval(() => void expire(), HOUR_MS).unref();
}

/** The admin API is served on this server when tokens are configured (docs/admin-api.md). */
function adminHint(config: Config, url: string): string[] {
  if (config.admin.tokens !== undefined) {
    return [`  admin API:           ${url}/v1 (SWIFTBOOT_API_URL=${url} npx swiftboot nodes list)`];
  }
  return [
    "  admin API:           off; `npx swiftboot token` makes a token and the SWIFTBOOT_ADMIN_TOKENS",
    "                       entry that turns it on (docs/admin-api.md)",
  ];
}

await main();
