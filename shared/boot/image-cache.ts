import type { Image } from "../model/index.ts";
import type { BootStore } from "../store/types.ts";

/** Images kept at most; past it the oldest entries go first. Images are small and few. */
export const IMAGE_CACHE_MAX_ENTRIES = 1_000;

interface Entry {
  /** The read's answer (undefined: no such image), shared by every request that asks meanwhile. */
  image: Promise<Image | undefined>;
  /** The same answer once the read has settled successfully, for imagesIfFresh. */
  settled?: { image: Image | undefined };
  readAt: number;
}

/** A BootStore with the image cache in front (withImageCache). */
export interface ImageCachingStore extends BootStore {
  /**
   * The images by id, answered at once when every id is cached, fresh and read: what
   * `getImages` would resolve to, without a promise. Undefined when any id needs a read.
   */
  imagesIfFresh(ids: readonly string[]): Map<string, Image> | undefined;
}

/** `store.imagesIfFresh(ids)` when the store has the image cache, else undefined. */
export function imagesIfFresh(
  store: BootStore,
  ids: readonly string[],
): Map<string, Image> | undefined {
  return (store as Partial<ImageCachingStore>).imagesIfFresh?.(ids);
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
): BootStore | ImageCachingStore {
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
        const entry: Entry = { image, readAt: at };
        wanted.set(id, image);
        image.then(
          (value) => {
            entry.settled = { image: value };
          },
          // Not cached when the read fails: the next request reads again.
          () => {
            if (entries.get(id) === entry) entries.delete(id);
          },
        );
        entries.delete(id); // re-inserted last: Map order is age order
        entries.set(id, entry);
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

  // The common case once warm: every script of a deploy reads the same few images, and answering
  // them without a promise saves the event loop a round of microtasks per script.
  const imagesIfFresh = (ids: readonly string[]): Map<string, Image> | undefined => {
    const at = now();
    const found = new Map<string, Image>();
    for (const id of ids) {
      const settled = entries.get(id);
      if (settled?.settled === undefined || at - settled.readAt >= maxAgeMs) return undefined;
      const image = settled.settled.image;
      if (image !== undefined) found.set(id, image);
    }
    return found;
  };

  // Only what scripts read: boot history goes to the store itself (bootHistoryRecorder).
  return {
    findNodeByMac: (mac) => store.findNodeByMac(mac),
    findNodeByUuid: (uuid) => store.findNodeByUuid(uuid),
    getImages,
    imagesIfFresh,
  };
}
