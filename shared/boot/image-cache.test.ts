import { describe, expect, it } from "vitest";
import { type Image, imageSchema } from "../model/index.ts";
import type { BootStore } from "../store/types.ts";
import { IMAGE_CACHE_MAX_ENTRIES, imagesIfFresh, withImageCache } from "./image-cache.ts";

const image = (id: string, object = `ipa/${id}`): Image =>
  imageSchema.parse({ id, name: id, swift: { object } });

/** A store whose images can be edited, counting getImages calls and the ids each asked for. */
function imageStore(initial: Image[], delayMs = 5) {
  const images = new Map(initial.map((i) => [i.id, i]));
  const calls: string[][] = [];
  let fail = false;
  const store: BootStore = {
    findNodeByMac: async () => undefined,
    findNodeByUuid: async () => undefined,
    getImages: async (ids) => {
      calls.push([...ids]);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (fail) throw new Error("store down");
      return new Map(ids.flatMap((id) => (images.has(id) ? [[id, images.get(id) as Image]] : [])));
    },
  };
  return { store, images, calls, failNext: (f: boolean) => (fail = f) };
}

describe("withImageCache", () => {
  it("reads an image once per max age, and an edit shows once that age has passed", async () => {
    const t = imageStore([image("k"), image("r")]);
    let clock = 1_000_000;
    const cached = withImageCache(t.store, 10, () => clock);
    expect([...(await cached.getImages(["k", "r"])).keys()]).toEqual(["k", "r"]);
    t.images.set("k", image("k", "ipa/k-v2"));
    clock += 9_999;
    expect((await cached.getImages(["k", "r"])).get("k")?.swift.object).toBe("ipa/k");
    expect(t.calls).toHaveLength(1);
    clock += 1;
    expect((await cached.getImages(["k", "r"])).get("k")?.swift.object).toBe("ipa/k-v2");
    expect(t.calls).toEqual([
      ["k", "r"],
      ["k", "r"],
    ]);
  });

  it("shares one read among concurrent requests and reads only the ids it lacks", async () => {
    const t = imageStore([image("k"), image("r"), image("x")]);
    const cached = withImageCache(t.store, 10);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => cached.getImages(["k", "r"])),
    );
    expect(answers.every((a) => a.size === 2)).toBe(true);
    expect(t.calls).toEqual([["k", "r"]]);
    await cached.getImages(["k", "x"]);
    expect(t.calls).toEqual([["k", "r"], ["x"]]);
  });

  it("caches an absent image as absent, but never a failed read", async () => {
    const t = imageStore([image("k")]);
    const cached = withImageCache(t.store, 10);
    expect((await cached.getImages(["nope"])).size).toBe(0);
    expect((await cached.getImages(["nope"])).size).toBe(0);
    expect(t.calls).toHaveLength(1);
    t.failNext(true);
    await expect(cached.getImages(["k"])).rejects.toThrow("store down");
    t.failNext(false);
    expect((await cached.getImages(["k"])).get("k")?.id).toBe("k");
    expect(t.calls).toEqual([["nope"], ["k"], ["k"]]);
  });

  it("keeps at most IMAGE_CACHE_MAX_ENTRIES images, dropping the oldest", async () => {
    const ids = Array.from({ length: IMAGE_CACHE_MAX_ENTRIES + 1 }, (_, i) => `img-${i}`);
    const t = imageStore(
      ids.map((id) => image(id)),
      0,
    );
    const cached = withImageCache(t.store, 3600);
    for (const id of ids) await cached.getImages([id]);
    await cached.getImages([ids[ids.length - 1] as string]); // newest: still cached
    expect(t.calls).toHaveLength(ids.length);
    await cached.getImages(["img-0"]); // oldest: was dropped
    expect(t.calls).toHaveLength(ids.length + 1);
  });

  it("0 is no cache: the store itself", () => {
    const t = imageStore([]);
    expect(withImageCache(t.store, 0)).toBe(t.store);
  });

  it("answers imagesIfFresh at once exactly when getImages would answer from the cache", async () => {
    const t = imageStore([image("k"), image("r")]);
    let clock = 1_000_000;
    const cached = withImageCache(t.store, 10, () => clock);
    expect(imagesIfFresh(cached, ["k", "r"])).toBe(undefined); // nothing read yet
    const reading = cached.getImages(["k", "r", "gone"]);
    expect(imagesIfFresh(cached, ["k"])).toBe(undefined); // read still in flight
    const read = await reading;
    const fresh = imagesIfFresh(cached, ["k", "r", "gone"]);
    expect(fresh).toEqual(read);
    expect(fresh?.get("k")).toBe(read.get("k")); // the same objects, not copies
    expect([...(fresh?.keys() ?? [])]).toEqual(["k", "r"]); // an absent image is cached as absent
    expect(imagesIfFresh(cached, ["k", "other"])).toBe(undefined);
    clock += 10_000;
    expect(imagesIfFresh(cached, ["k"])).toBe(undefined); // too old: the next script reads again
    expect(t.calls).toHaveLength(1);
  });

  it("never answers imagesIfFresh from a failed read, nor without the cache", async () => {
    const t = imageStore([image("k")]);
    const cached = withImageCache(t.store, 10);
    t.failNext(true);
    await expect(cached.getImages(["k"])).rejects.toThrow("store down");
    expect(imagesIfFresh(cached, ["k"])).toBe(undefined);
    expect(imagesIfFresh(withImageCache(t.store, 0), ["k"])).toBe(undefined);
  });
});
