import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Command } from "commander";
import { artifactWarmer } from "../../../shared/artifacts/services.ts";
import { warmImage } from "../../../shared/artifacts/warm.ts";
import { openFsCache } from "../../../shared/cache/adapters/fs.ts";
import type { FillLockHolder } from "../../../shared/cache/lock.ts";
import type { Image } from "../../../shared/model/index.ts";
import type { AdminStore } from "../../../shared/store/index.ts";
import { FsFillLock, localLockDir } from "../../local/fs-fill-lock.ts";
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
 *
 * The lock is the local one `npm start` uses too (functions/local/fs-fill-lock.ts): an image the
 * server is filling right now is reported `busy`, with the time its lock lapses. A lock left by a
 * process that no longer runs is taken over at once. Exits 1 when any image is not in the cache
 * at the end (failed or busy).
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
      let unfilled = 0;
      try {
        const deps = {
          ...artifactWarmer({
            config,
            cache: await openFsCache(join(config.local.data_dir, "cache")),
            fillLock: new FsFillLock(localLockDir(config.local.data_dir)),
            // Not Node's global fetch: it can crash on large bodies (functions/node/origin-fetch.ts).
            originFetch: nodeOriginFetch,
          }),
          owner: `cli-${randomUUID()}`,
        };
        for (const image of await imagesToWarm(local.store, ids, options.all ?? false)) {
          try {
            const result = await warmImage(image, deps);
            if (result.outcome === "busy") {
              unfilled++;
              io.out(`busy    ${image.id}: ${busyMessage(result.holder)}`);
              continue;
            }
            const bytes = result.outcome === "filled" ? ` (${result.bytes} bytes)` : "";
            io.out(`${result.outcome.padEnd(7)} ${image.id}${bytes}`);
          } catch (error) {
            unfilled++;
            io.out(`failed  ${image.id}: ${(error as Error).message}`);
          }
        }
      } finally {
        await local.close();
      }
      if (unfilled > 0) {
        io.err(`swiftboot: ${unfilled} image(s) not in the cache; see the lines above`);
        io.setExitCode(1);
      }
    });
  return cache;
}

function busyMessage(holder: FillLockHolder | undefined): string {
  if (holder === undefined) return "another process is filling it; try again when it is done";
  const by = holder.description ?? holder.owner;
  const minutes = Math.max(1, Math.ceil((holder.expiresAt - Date.now()) / 60_000));
  return `being filled by ${by}; its lock expires at ${new Date(holder.expiresAt).toISOString()} (in ${minutes} min) if that fill does not finish first`;
}
