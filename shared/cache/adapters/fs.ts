import { randomBytes } from "node:crypto";
import { renameSync } from "node:fs";
import { type FileHandle, mkdir, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type ArtifactCache,
  assertCacheKey,
  type ByteRange,
  type CachedObject,
  type CacheRead,
  CacheUnavailableError,
  CacheWriteError,
  type CacheWriteOptions,
} from "../index.ts";
import { verifyWrite } from "../streams.ts";
import { writerGone } from "./fs-orphans.ts";

/**
 * The artifact cache in a local directory: the embedded default for `npm start`
 * (`<local.data_dir>/cache`). Node only.
 *
 * Layout: key `artifacts/<image>/<content>` is the file `<root>/artifacts/<image>/<content>`,
 * with its metadata in `.<content>.meta.json` beside it. Keys never have a segment starting
 * with a dot, so dot files are ours: sidecars and `.<name>.<pid>-<random>.tmp` files being
 * written (the writer's process id tells a crash's leftovers from a fill in progress).
 *
 * A put streams into a temp file in the target directory while verifyWrite (streams.ts) counts,
 * hashes and checks size and sha256; it then fsyncs, writes the sidecar (recording the data file's
 * inode), and only then renames sidecar and data into place, back to back and synchronously, so no
 * other put in this process can interleave. Readers see the old object or the new one, never a
 * partial file; any failure removes the temp files. A sidecar whose inode does not match the data
 * file (a crash between the two renames, or two processes racing) makes the entry read as a miss,
 * and the next fill rewrites both.
 */
export const READ_CHUNK_BYTES = 256 * 1024;
/** Temp files older than this are leftovers of a crash, whatever process wrote them. */
const STALE_TEMP_MS = 60 * 60 * 1000;

interface Sidecar {
  v: 1;
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  ino: number;
}

export class FsCache implements ArtifactCache {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async head(key: string): Promise<CachedObject | undefined> {
    const paths = this.#paths(key);
    let size: number;
    let ino: number;
    let mtime: Date;
    try {
      ({ size, ino, mtime } = await stat(paths.data));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw unavailable(key, error);
    }
    const meta = await readSidecar(paths.meta, key);
    if (meta === undefined || meta.ino !== ino || meta.size !== size) return undefined;
    return toObject(meta, mtime);
  }

  async get(key: string, range?: ByteRange): Promise<CacheRead | undefined> {
    const paths = this.#paths(key);
    let handle: FileHandle;
    try {
      handle = await open(paths.data, "r");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw unavailable(key, error);
    }
    try {
      const { size, ino, mtime } = await handle.stat();
      const meta = await readSidecar(paths.meta, key);
      if (meta === undefined || meta.ino !== ino || meta.size !== size) {
        await handle.close();
        return undefined;
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      return { object: toObject(meta, mtime), body: fileStream(handle, start, end) };
    } catch (error) {
      await handle.close().catch(() => {});
      throw unavailable(key, error);
    }
  }

  async put(
    key: string,
    body: ReadableStream<Uint8Array>,
    options: CacheWriteOptions,
  ): Promise<CachedObject> {
    const paths = this.#paths(key);
    // Size, sha256 and the abort signal are checked as the bytes pass (streams.ts), as in every
    // adapter: the stream only ends once they all hold, and errors with a CacheWriteError if not.
    const verified = verifyWrite(body, options);
    const reader = verified.body.getReader();
    const suffix = `${process.pid}-${randomBytes(6).toString("hex")}`;
    const tmp = join(paths.dir, `.${paths.name}.${suffix}.tmp`);
    const metaTmp = join(paths.dir, `.${paths.name}.${suffix}.meta.tmp`);
    const signal = options.signal;
    let handle: FileHandle | undefined;
    const aborted = () =>
      new CacheWriteError(`write of ${key} aborted`, "aborted", { cause: signal?.reason });

    try {
      if (signal?.aborted) throw aborted();
      try {
        await mkdir(paths.dir, { recursive: true });
        handle = await open(tmp, "wx", 0o644);
      } catch (error) {
        throw backend(key, error);
      }
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (error instanceof CacheWriteError) {
            throw new CacheWriteError(`${key}: ${error.message}`, error.reason, {
              cause: error.cause,
            });
          }
          throw new CacheWriteError(`source of ${key} failed`, "source-failed", { cause: error });
        }
        if (result.done) break;
        await writeAll(handle, result.value, key);
      }
      const summary = verified.summary();
      if (summary === undefined) throw new Error("verifyWrite closed without a summary");
      let mtime: Date;
      let ino: number;
      try {
        await handle.sync();
        ({ ino, mtime } = await handle.stat());
        await handle.close();
        handle = undefined;
        const meta: Sidecar = {
          v: 1,
          key,
          size: summary.size,
          sha256: summary.sha256,
          contentType: options.contentType,
          ino,
        };
        await writeDurably(metaTmp, JSON.stringify(meta));
        if (signal?.aborted) throw aborted();
        // Both renames in one synchronous step: no other put of this process runs in between.
        renameSync(metaTmp, paths.meta);
        renameSync(tmp, paths.data);
        await syncDir(paths.dir);
        return toObject(meta, mtime);
      } catch (error) {
        if (error instanceof CacheWriteError) throw error;
        throw backend(key, error);
      }
    } catch (error) {
      // Errors the checked stream and cancels the source, if the stream has not ended already.
      verified.stop(
        error instanceof CacheWriteError
          ? error
          : new CacheWriteError(`write of ${key} failed`, "backend", { cause: error }),
      );
      await handle?.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      await rm(metaTmp, { force: true }).catch(() => {});
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  async delete(key: string): Promise<void> {
    const paths = this.#paths(key);
    try {
      // Data first: a sidecar without data is a miss, data without a sidecar is one too.
      await rm(paths.data, { force: true });
      await rm(paths.meta, { force: true });
    } catch (error) {
      throw unavailable(key, error);
    }
  }

  /**
   * Removes temp files a crashed or killed process left behind: those whose writer no longer
   * runs (fs-orphans.ts), and any older than `olderThanMs`. Returns how many it
   * removed.
   */
  async sweepTemp(olderThanMs = STALE_TEMP_MS): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    return this.#removeWhere(
      (name) => name.startsWith(".") && name.endsWith(".tmp"),
      (name, mtimeMs) => {
        if (mtimeMs < cutoff) return true;
        const pid = tempWriter(name);
        return pid !== undefined && writerGone(pid, mtimeMs);
      },
      async () => {},
    );
  }

  /**
   * Removes the entries filled more than `maxAgeMs` before `now`, as the buckets' lifecycle rules
   * expire theirs (docs/artifacts.md): keys are content-addressed, so an old image version is
   * never read again, and an entry still in use is simply filled again on its next miss. A
   * download reading a removed file goes on (an open file outlives its name). A fill that
   * replaces an entry just as it is removed costs at most one more fill: data and sidecar go
   * together, never leaving one that reads wrong. Returns how many entries it removed.
   */
  async expire(maxAgeMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - maxAgeMs;
    return this.#removeWhere(
      (name) => !name.startsWith("."),
      (_name, mtimeMs) => mtimeMs < cutoff,
      // Data first (removed by the walk), as delete() does: a sidecar without data is a miss.
      (dir, name) => rm(join(dir, `.${name}.meta.json`), { force: true }),
      // Like the buckets' lifecycle rule: artifacts only; published iPXE binaries (ipxe/) stay.
      join(this.root, "artifacts"),
    );
  }

  /**
   * Walks the cache directory and removes every file whose name `matches` and that `remove`
   * picks by name and modification time, calling `after` for each. Returns how many it removed.
   */
  async #removeWhere(
    matches: (name: string) => boolean,
    remove: (name: string, mtimeMs: number) => boolean,
    after: (dir: string, name: string) => Promise<void>,
    under: string = this.root,
  ): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (matches(entry.name)) {
          const info = await stat(path).catch(() => undefined);
          if (info === undefined || !remove(entry.name, info.mtimeMs)) continue;
          await rm(path, { force: true });
          await after(dir, entry.name);
          removed++;
        }
      }
    };
    await walk(under);
    return removed;
  }

  #paths(key: string) {
    assertCacheKey(key);
    const data = join(this.root, ...key.split("/"));
    const dir = dirname(data);
    const name = data.slice(dir.length + 1);
    return { dir, name, data, meta: join(dir, `.${name}.meta.json`) };
  }
}

/**
 * Creates the directory and sweeps crash leftovers in the background, unless `sweepTemp` is
 * false (`npm start` sweeps them itself before serving, to log what it removed).
 */
export async function openFsCache(root: string, { sweepTemp = true } = {}): Promise<FsCache> {
  await mkdir(root, { recursive: true });
  const cache = new FsCache(root);
  if (sweepTemp) void cache.sweepTemp().catch(() => {});
  return cache;
}

/** The process that writes temp file `name` (`.<name>.<pid>-<random>[.meta].tmp`), if it says. */
function tempWriter(name: string): number | undefined {
  const match = /\.(\d+)-[0-9a-f]+(?:\.meta)?\.tmp$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * A web stream over bytes `start`..`end` of an open file, read on demand (one chunk ahead) and
 * closing the file when done, on error, or when the reader cancels.
 */
function fileStream(handle: FileHandle, start: number, end: number): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const left = end + 1 - position;
      if (left <= 0) {
        await close();
        controller.close();
        return;
      }
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, left));
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position));
      } catch (error) {
        await close();
        controller.error(error);
        return;
      }
      if (bytesRead === 0) {
        await close();
        controller.error(new Error("cached file is shorter than its metadata says"));
        return;
      }
      position += bytesRead;
      controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
      if (position > end) {
        await close();
        controller.close();
      }
    },
    async cancel() {
      await close();
    },
  });
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, key: string): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    try {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    } catch (error) {
      throw backend(key, error);
    }
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, "wx", 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the renames durable; some filesystems refuse fsync on a directory, which is fine. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => {});
  await handle.close().catch(() => {});
}

async function readSidecar(path: string, key: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw unavailable(key, error);
  }
  try {
    const meta = JSON.parse(text) as Partial<Sidecar>;
    if (
      meta.v !== 1 ||
      meta.key !== key ||
      typeof meta.size !== "number" ||
      typeof meta.sha256 !== "string" ||
      typeof meta.ino !== "number" ||
      typeof meta.contentType !== "string"
    ) {
      return undefined;
    }
    return meta as Sidecar;
  } catch {
    return undefined;
  }
}

function toObject(meta: Sidecar, mtime: Date): CachedObject {
  return {
    key: meta.key,
    size: meta.size,
    etag: `"${meta.sha256}"`,
    lastModified: mtime,
    contentType: meta.contentType,
    sha256: meta.sha256,
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function unavailable(key: string, error: unknown): CacheUnavailableError {
  return new CacheUnavailableError(`cache directory unreadable for ${key}: ${describe(error)}`, {
    cause: error,
  });
}

function backend(key: string, error: unknown): CacheWriteError {
  return new CacheWriteError(`cannot write ${key}: ${describe(error)}`, "backend", {
    cause: error,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
