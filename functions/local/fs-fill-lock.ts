import { randomBytes } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { writerGone } from "../../shared/cache/adapters/fs-orphans.ts";
import { assertCacheKey } from "../../shared/cache/keys.ts";
import type { FillLock, FillLockHolder } from "../../shared/cache/lock.ts";

/**
 * The fill lock of the local artifact cache: one file per locked key in `<local.data_dir>/locks`,
 * shared by `npm start` and `swiftboot cache warm` (and any other process on the same data
 * directory), so that they never fill the same artifact at once.
 *
 * A lock file (`artifacts+<image>+<content>.lock`) holds its owner, the holder's process id and
 * host, when it was taken and when it expires. Every file here is written aside and linked into
 * place: a link fails when the name exists (so only one creator wins), and the file never shows
 * half-written. A lock that has expired, or whose holder no longer runs (a crash, a kill), is
 * stale and taken over at once. A takeover first takes `<lock>.takeover` the same way, so that of
 * several processes that found the same stale lock, one replaces it and the others see the new
 * holder. A lock is advisory, as every FillLock: in the rare races left (a holder releasing just
 * as its expired lock is taken over), two fills of one artifact cost a download and nothing else.
 *
 * Kept out of the cache directory: the cache's expiry and temp sweeps walk every file in it.
 */
export function localLockDir(dataDir: string): string {
  return join(dataDir, "locks");
}

interface LockFile {
  v: 1;
  key: string;
  owner: string;
  pid: number;
  host: string;
  acquiredAt: number;
  expiresAt: number;
}

/** A takeover takes milliseconds; a guard older than this was left by a process killed in one. */
const GUARD_STALE_MS = 30_000;

export class FsFillLock implements FillLock {
  readonly dir: string;
  readonly #now: () => number;
  readonly #host = hostname();

  constructor(dir: string, now: () => number = Date.now) {
    this.dir = dir;
    this.#now = now;
  }

  async tryAcquire(key: string, ttlSeconds: number, owner: string): Promise<boolean> {
    const path = this.#path(key);
    const now = this.#now();
    const text = JSON.stringify({
      v: 1,
      key,
      owner,
      pid: process.pid,
      host: this.#host,
      acquiredAt: now,
      expiresAt: now + Math.max(1, ttlSeconds) * 1000,
    } satisfies LockFile);
    await mkdir(this.dir, { recursive: true });
    if (await this.#create(path, text)) return true;
    const current = await readLock(path);
    if (current === undefined) return this.#create(path, text); // released meanwhile
    if (current.record?.owner === owner) {
      // Ours already: extended, replaced in one step (a reader never sees it half-written).
      const scratch = scratchName(path);
      await writeFile(scratch, text, { mode: 0o644 });
      await rename(scratch, path);
      return true;
    }
    if (!this.#stale(current.record, now)) return false;
    if (!(await this.#removeStale(path, current.text))) return false;
    return this.#create(path, text);
  }

  async release(key: string, owner: string): Promise<void> {
    const path = this.#path(key);
    const current = await readLock(path);
    // Not ours (it expired and was taken over) or already gone: nothing to release.
    if (current?.record?.owner !== owner) return;
    await rm(path, { force: true });
  }

  /** Who holds `key` now, if anyone does (an expired or orphaned lock is nobody's). */
  async heldBy(key: string): Promise<FillLockHolder | undefined> {
    const current = await readLock(this.#path(key));
    if (current?.record === undefined || this.#stale(current.record, this.#now())) {
      return undefined;
    }
    const { owner, pid, host, expiresAt } = current.record;
    return { owner, expiresAt, description: `process ${pid} on ${host}` };
  }

  /**
   * Removes the locks nobody holds any more: expired ones, and those of processes that no longer
   * run (what a crash or a kill leaves), with the scratch files of interrupted writes. `npm
   * start` calls it at start. Returns how many locks it removed.
   */
  async removeOrphans(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const now = this.#now();
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith(".lock")) {
        const current = await readLock(path);
        if (current === undefined || !this.#stale(current.record, now)) continue;
        if (await this.#removeStale(path, current.text)) removed++;
      } else if (name.endsWith(".takeover")) {
        await this.#dropAbandonedGuard(path);
      } else if (name.endsWith(".new")) {
        const pid = Number(/\.(\d+)-[0-9a-f]+\.new$/.exec(name)?.[1] ?? Number.NaN);
        const written = await stat(path).then(
          (info) => info.mtimeMs,
          () => undefined,
        );
        if (written !== undefined && writerGone(pid, written)) await rm(path, { force: true });
      }
    }
    return removed;
  }

  /** Expired, its holder gone, or unreadable (files here never show half-written). */
  #stale(record: LockFile | undefined, now: number): boolean {
    if (record === undefined) return true;
    if (record.expiresAt <= now) return true;
    return record.host === this.#host && writerGone(record.pid, record.acquiredAt);
  }

  /** Creates `path` holding `text` unless it exists; true when this call created it. */
  async #create(path: string, text: string): Promise<boolean> {
    const scratch = scratchName(path);
    await writeFile(scratch, text, { mode: 0o644 });
    try {
      await link(scratch, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await rm(scratch, { force: true });
    }
  }

  /**
   * Removes the lock at `path` if it still holds `staleText`, under the takeover guard; false
   * when another process is taking it over, or has already.
   */
  async #removeStale(path: string, staleText: string): Promise<boolean> {
    const guard = `${path}.takeover`;
    const guardText = JSON.stringify({ pid: process.pid, at: this.#now() });
    if (!(await this.#create(guard, guardText))) {
      await this.#dropAbandonedGuard(guard);
      return false;
    }
    try {
      const current = await readLock(path);
      if (current !== undefined && current.text !== staleText) return false;
      await rm(path, { force: true });
      return true;
    } finally {
      await rm(guard, { force: true });
    }
  }

  /** A guard whose process died mid-takeover would block takeovers of that key for good. */
  async #dropAbandonedGuard(guard: string): Promise<void> {
    const text = await readFile(guard, "utf8").catch(() => undefined);
    if (text === undefined) return;
    let abandoned = true;
    try {
      const { pid, at } = JSON.parse(text) as { pid?: unknown; at?: unknown };
      if (typeof pid === "number" && typeof at === "number") {
        abandoned = this.#now() - at > GUARD_STALE_MS || writerGone(pid, at);
      }
    } catch {
      // Unreadable: abandoned.
    }
    if (abandoned) await rm(guard, { force: true });
  }

  /** `artifacts/<image>/<content>` is `artifacts+<image>+<content>.lock`: keys have no `+`. */
  #path(key: string): string {
    assertCacheKey(key);
    return join(this.dir, `${key.replaceAll("/", "+")}.lock`);
  }
}

/** `<path>.<pid>-<random>.new`: names its writer, so a killed process's leftovers can go. */
function scratchName(path: string): string {
  return `${path}.${process.pid}-${randomBytes(6).toString("hex")}.new`;
}

async function readLock(
  path: string,
): Promise<{ text: string; record: LockFile | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const record = JSON.parse(text) as Partial<LockFile>;
    if (
      record.v === 1 &&
      typeof record.owner === "string" &&
      typeof record.pid === "number" &&
      typeof record.host === "string" &&
      typeof record.acquiredAt === "number" &&
      typeof record.expiresAt === "number"
    ) {
      return { text, record: record as LockFile };
    }
  } catch {
    // Unreadable: stale (see #stale).
  }
  return { text, record: undefined };
}
