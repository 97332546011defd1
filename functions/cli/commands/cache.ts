import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Command } from "commander";
import { createDynamoFillLock } from "../../../shared/cache/dynamo-fill-lock.ts";
import { originSettings } from "../../../shared/cache/origin.ts";
import { warmImage } from "../../../shared/cache/warm.ts";
import type { Image } from "../../../shared/model/index.ts";
import type { AdminStore } from "../../../shared/store/index.ts";
import { openFsCache } from "../../local/fs-cache.ts";
import { openLocalStore } from "../../local/store.ts";
import { nodeOriginFetch } from "../../node/origin-fetch.ts";
import { CliFailure, type CliIo, loadCliConfig } from "../io.ts";

async function imagesToWarm(store: AdminStore, ids: string[], all: boolean): Promise<Image[]> {
  if (all) {
    const images: Image[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listImages({ limit: 1000, ...(cursor ? { cursor } : {}) });
      images.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return images;
  }
  const images: Image[] = [];
  for (const id of ids) {
    const image = await store.getImage(id);
    if (image === undefined) throw new CliFailure(`no image with id ${id}`);
    images.push(image);
  }
  return images;
}

/**
 * `swiftboot cache warm`: fills the local artifact cache (the directory `npm start` serves from)
 * before any machine asks, through the same fill, checks and lock as a booting machine's miss.
 * Deployed caches are warmed by the cache-warmer function on image changes.
 */
export function registerCache(program: Command, io: CliIo): Command {
  const cache = program.command("cache").description("Manage the local artifact cache.");
  cache
    .command("warm")
    .description("Fill the cache for images before machines ask (idempotent).")
    .argument("[image-ids...]", "images to warm")
    .option("--all", "warm every image in the store")
    .action(async (ids: string[], options: { all?: boolean }) => {
      if (!options.all && ids.length === 0) throw new CliFailure("name image ids, or pass --all");
      const config = loadCliConfig(io);
      const local = await openLocalStore(config);
      let failed = 0;
      try {
        const deps = {
          cache: await openFsCache(join(config.local.data_dir, "cache")),
          fillLock: createDynamoFillLock({
            client: DynamoDBDocumentClient.from(local.store.client),
            table: config.store.table,
          }),
          // Not Node's global fetch: it can crash on large bodies (functions/node/origin-fetch.ts).
          origin: { ...originSettings(config), fetch: nodeOriginFetch },
          defaultContainer: config.swift.container,
          lockTtlSeconds: config.cache.fill_lock_ttl,
          owner: `cli-${randomUUID()}`,
        };
        for (const image of await imagesToWarm(local.store, ids, options.all ?? false)) {
          try {
            const result = await warmImage(image, deps);
            const bytes = result.outcome === "filled" ? ` (${result.bytes} bytes)` : "";
            io.out(`${result.outcome.padEnd(7)} ${image.id}${bytes}`);
          } catch (error) {
            failed++;
            io.out(`failed  ${image.id}: ${(error as Error).message}`);
          }
        }
      } finally {
        await local.close();
      }
      if (failed > 0) io.setExitCode(1);
    });
  return cache;
}
