import { readFileSync } from "node:fs";

/**
 * Telling crash leftovers from work in progress. Local fills (shared/cache/adapters/fs.ts temp
 * files, functions/local/fs-fill-lock.ts locks) record the process id of their writer; whatever a
 * process that no longer runs left behind is an orphan, removable at once, instead of after an
 * hour or a lock's whole lifetime.
 *
 * The data directory belongs to one host (it holds DynamoDB Local's files too), so process ids
 * are this host's. A process id can be reused: when `pid` is this very process, only what was
 * written before it started is an orphan (a restarted container's server often gets the pid of
 * the one that crashed). Any other pid that runs is taken as the writer, until the lock expires
 * or the hour-long temp-file limit passes.
 */
const PROCESS_START_MS = performance.timeOrigin;

export function writerGone(pid: number, writtenAtMs: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return writtenAtMs < PROCESS_START_MS;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  return zombie(pid);
}

/**
 * A killed process whose parent died with it waits to be reaped by whatever runs as PID 1, and
 * until then signal 0 still reaches it; it writes nothing any more. Linux only: elsewhere a pid
 * that answers is taken as running.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "<pid> (<comm>) <state> ...": comm may hold spaces and parentheses, so read past the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}
