import type { Config } from "../../shared/config/index.ts";
import { configWarnings, imageWarnings } from "../../shared/config/start-warnings.ts";
import type { Logger } from "../../shared/log/index.ts";
import type { Image } from "../../shared/model/index.ts";
import type { AdminStore } from "../../shared/store/index.ts";

/**
 * What `npm start` tells a person at start, besides the JSON log: warnings about settings that
 * are valid but probably wrong, where machines reach it, and a listen failure as one sentence.
 */

/** Each warning on standard error (read by people) and in the log (read by machines). */
export function reportWarnings(warnings: readonly string[], logger: Logger): void {
  for (const warning of warnings) {
    console.error(`swiftboot: warning: ${warning}`);
    logger.warn("configuration warning", { warning });
  }
}

export function startConfigWarnings(config: Config, logger: Logger): void {
  reportWarnings(configWarnings(config), logger);
}

/** Cache mode: images the cache could never fill. A store that cannot be listed is not fatal. */
export async function startImageWarnings(
  config: Config,
  store: AdminStore,
  logger: Logger,
): Promise<void> {
  if (config.ipxe.use_swift) return;
  try {
    const images: Image[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listImages({
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      images.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    reportWarnings(imageWarnings(config, images), logger);
  } catch (error) {
    logger.warn("could not check the images at start", { error: String(error) });
  }
}

/** A listen failure as a sentence naming what to change; undefined for the unexpected. */
export function listenFailure(error: unknown, config: Config): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${config.server.host}:${config.server.port}`;
  if (code === "EADDRINUSE") {
    return `cannot listen on ${where}: another program is using port ${config.server.port}; stop it, or set SWIFTBOOT_SERVER_PORT (server.port) to another port (0 picks a free one)`;
  }
  if (code === "EACCES") {
    return `cannot listen on ${where}: ports below 1024 need privileges; set SWIFTBOOT_SERVER_PORT (server.port) to 1024 or above`;
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return `cannot listen on ${where}: ${config.server.host} is not an address of this machine; set SWIFTBOOT_SERVER_HOST (server.host), e.g. 0.0.0.0 for every address`;
  }
  return undefined;
}

/** Banner lines on where machines reach swiftboot. */
export function publicUrlLines(config: Config, url: string): string[] {
  const lines: string[] = [];
  if (config.ipxe.public_url !== undefined) {
    lines.push(`  machines use:        ${config.ipxe.public_url} (ipxe.public_url)`);
  } else {
    lines.push(
      `  machines use:        the address they reach it by (${url} here; set ipxe.public_url to fix one)`,
    );
  }
  if (["127.0.0.1", "::1", "localhost"].includes(config.server.host)) {
    lines.push(
      "                       listening on this machine only: set SWIFTBOOT_SERVER_HOST=0.0.0.0 for others",
    );
  }
  return lines;
}
