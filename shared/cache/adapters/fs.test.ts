import { mkdtemp, readdir, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeArtifactCacheContract,
  pseudoRandom,
  readAll,
  sha256Hex,
  streamOf,
} from "../../../test/support/cache/contract.ts";
import { CacheWriteError } from "../index.ts";
import { type FsCache, openFsCache } from "./fs.ts";

describeArtifactCacheContract("local directory", async () => {
  const root = await mkdtemp(join(tmpdir(), "swiftboot-fs-cache-"));
  return {
    cache: await openFsCache(root),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

const GONE_PID = 2 ** 30;

describe("FsCache specifics", () => {
  let root: string;
  let cache: FsCache;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "swiftboot-fs-cache-"));
    cache = await openFsCache(root);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const put = (key: string, bytes: Uint8Array, sha256 = sha256Hex(bytes)) =>
    cache.put(key, streamOf(bytes, 4096), {
      contentType: "application/octet-stream",
      size: bytes.byteLength,
      sha256,
    });

  it("lays objects out by key, with a dot-file sidecar, and leaves no temp files", async () => {
    const bytes = pseudoRandom(10_000, 1);
    const object = await put("artifacts/img:1/abc", bytes);
    expect(object.etag).toBe(`"${sha256Hex(bytes)}"`);
    expect((await readdir(join(root, "artifacts", "img:1"))).sort()).toEqual([
      ".abc.meta.json",
      "abc",
    ]);
  });

  it("removes its temp files when a write fails", async () => {
    const bytes = pseudoRandom(10_000, 2);
    await expect(put("artifacts/img:2/abc", bytes, "0".repeat(64))).rejects.toBeInstanceOf(
      CacheWriteError,
    );
    expect(await readdir(join(root, "artifacts", "img:2"))).toEqual([]);
  });

  it("treats a sidecar that does not describe the data file as a miss", async () => {
    const bytes = pseudoRandom(10_000, 3);
    await put("artifacts/img:3/abc", bytes);
    // Replace the data file behind the cache's back (another inode): a crash between renames.
    const replacement = join(root, "artifacts", "img:3", "replacement");
    await writeFile(replacement, bytes);
    await rename(replacement, join(root, "artifacts", "img:3", "abc"));
    expect(await cache.head("artifacts/img:3/abc")).toBeUndefined();
    expect(await cache.get("artifacts/img:3/abc")).toBeUndefined();
    await put("artifacts/img:3/abc", bytes);
    expect(await readAll((await cache.get("artifacts/img:3/abc"))?.body)).toEqual(bytes);
  });

  it("refuses keys that could escape the directory or collide with its dot files", async () => {
    for (const key of ["../x", "a/../../x", "/abs", "a//b", ".hidden", "a/.meta", ""]) {
      await expect(cache.head(key)).rejects.toThrow(TypeError);
    }
  });

  it("sweeps stale temp files left by a crash, and only those", async () => {
    const dir = join(root, "artifacts", "img:4");
    await put("artifacts/img:4/abc", pseudoRandom(100, 4));
    const stale = join(dir, ".abc.0123456789ab.tmp");
    const fresh = join(dir, ".abc.ba9876543210.tmp");
    await writeFile(stale, "x");
    await writeFile(fresh, "x");
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    expect(await cache.sweepTemp()).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([".abc.ba9876543210.tmp", ".abc.meta.json", "abc"]);
  });

  it("sweeps at once the temp files of processes that no longer run, and keeps running fills", async () => {
    const dir = join(root, "artifacts", "img:6");
    await put("artifacts/img:6/abc", pseudoRandom(100, 6));
    const names = {
      // A process id above Linux's limit (2^22): no such process runs.
      gone: `.abc.${GONE_PID}-0123456789ab.tmp`,
      goneMeta: `.abc.${GONE_PID}-0123456789ab.meta.tmp`,
      // This test's parent (vitest) runs, and so does this process, whose files are fresh.
      parent: `.abc.${process.ppid}-0123456789ab.tmp`,
      self: `.abc.${process.pid}-0123456789ab.tmp`,
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), "x");
    expect(await cache.sweepTemp()).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(
      [names.parent, names.self, ".abc.meta.json", "abc"].sort(),
    );
    // Written by an earlier process with this process's id (a restarted container): an orphan.
    const before = new Date(performance.timeOrigin - 60_000);
    await utimes(join(dir, names.self), before, before);
    expect(await cache.sweepTemp()).toBe(1);
    expect(await readdir(dir)).not.toContain(names.self);
  });

  it("expires entries filled before the cut-off, data and sidecar together, and only those", async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const oldBytes = pseudoRandom(1000, 5);
    const newBytes = pseudoRandom(1000, 6);
    await put("artifacts/img:5/old", oldBytes);
    await put("artifacts/img:5/new", newBytes);
    const dir = join(root, "artifacts", "img:5");
    const filled = new Date(Date.now() - 31 * DAY);
    await utimes(join(dir, "old"), filled, filled);
    const temp = join(dir, ".old.0123456789ab.tmp"); // a fill in progress is not an entry
    await writeFile(temp, "x");
    await utimes(temp, filled, filled);
    // A reader holding the old entry open keeps reading after it expires.
    const reading = await cache.get("artifacts/img:5/old");

    expect(await cache.expire(30 * DAY)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([".new.meta.json", ".old.0123456789ab.tmp", "new"]);
    expect(await cache.head("artifacts/img:5/old")).toBeUndefined();
    expect(await readAll((await cache.get("artifacts/img:5/new"))?.body)).toEqual(newBytes);
    expect(await readAll(reading?.body)).toEqual(oldBytes);
    // Filled again on its next miss, it is a fresh entry.
    await put("artifacts/img:5/old", oldBytes);
    expect(await cache.expire(30 * DAY)).toBe(0);
    expect(await cache.head("artifacts/img:5/old")).toMatchObject({ size: 1000 });
  });
});
