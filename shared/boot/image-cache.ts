import type { Image } from "../model/index.ts";
import type { BootStore } from "../store/types.ts";

/** Images kept at most; past it the oldest entries go first. Images are small and few. */
export const IMAGE_CACHE_MAX_ENTRIES = 1_000;

interface Entry {
  /** The read's answer (undefined: no such image), shared by every request that asks meanwhile. */
  image: Promise<Image | undefined>;
  readAt: number;
}

/**
 * A BootStore whose `getImages` answers from an in-process cache bounded in age (`maxAgeSeconds`,
 * `store.image_cache_seconds`) and size: images change rarely and every script of a deploy reads
 * the same two, so a rack booting at once costs one image read per process per `maxAgeSeconds`
 * instead of one per script. An image edit reaches scripts within `maxAgeSeconds`. Ids missing
 * from the cache are read together in one `getImages` call; concurrent requests for an id being
 * read share that read; a failed read is not cached. Absent images are cached too (for as long),
 * so an unknown id is not a read per script either. 0 turns the cache off.
 */
export function withImageCache(
  store: BootStore,
  maxAgeSeconds: number,
  now: () => number = Date.now,
): BootStore {
  if (maxAgeSeconds <= 0) return store;
  const maxAgeMs = maxAgeSeconds * 1000;
  const entries = new Map<string, Entry>();

  const getImages = async (ids: readonly string[]): Promise<Map<string, Image>> => {
    const at = now();
    const wanted = new Map<string, Promise<Image | undefined>>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const entry = entries.get(id);
      if (entry === undefined || at - entry.readAt >= maxAgeMs) missing.push(id);
      else wanted.set(id, entry.image);
    }
    if (missing.length > 0) {
      const read = store.getImages(missing);
      for (const id of missing) {
        const image = read.then((found) => found.get(id));
        wanted.set(id, image);
        // Not cached when the read fails: the next request reads again.
        image.catch(() => {
          if (entries.get(id)?.image === image) entries.delete(id);
        });
        entries.delete(id); // re-inserted last: Map order is age order
        entries.set(id, { image, readAt: at });
      }
      while (entries.size > IMAGE_CACHE_MAX_ENTRIES) {
        entries.delete(entries.keys().next().value as string);
      }
    }
    const found = new Map<string, Image>();
    for (const [id, image] of wanted) {
      const value = await image;
      if (value !== undefined) found.set(id, value);
    }
    return found;
  };

  // Only what scripts read: boot history goes to the store itself (bootHistoryRecorder).
  return {
    findNodeByMac: (mac) => store.findNodeByMac(mac),
    findNodeByUuid: (uuid) => store.findNodeByUuid(uuid),
    getImages,
  };
}
