import type { FsCache } from "../../shared/cache/adapters/fs.ts";
import type { Logger } from "../../shared/log/index.ts";
import type { FsFillLock } from "./fs-fill-lock.ts";

/**
 * What `npm start` does before serving, after a crash or a kill of itself or of a `swiftboot
 * cache warm`: removes the temp files and fill locks whose writer no longer runs (they are this
 * data directory's own: no other host writes them). A fill still running in another process
 * keeps both. Never fails the start: what cannot be removed now is swept by age later.
 */
export async function removeFillLeftovers(
  cache: FsCache | undefined,
  lock: FsFillLock,
  logger: Logger,
): Promise<void> {
  try {
    const [tempFiles, locks] = await Promise.all([
      cache?.sweepTemp() ?? Promise.resolve(0),
      lock.removeOrphans(),
    ]);
    if (tempFiles + locks > 0) {
      logger.info("removed what an interrupted fill left behind", {
        temp_files: tempFiles,
        locks,
      });
    }
  } catch (error) {
    logger.warn("could not remove what an interrupted fill left behind", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
