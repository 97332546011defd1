import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

/**
 * Starts `command` tethered to this process: in a process group of its own (so the caller can
 * signal all of it at once with `process.kill(-child.pid, ...)`), under a small `sh` that watches
 * its stdin, a pipe from this process. When this process goes away, however it goes (a failed
 * test, Ctrl-C, a worker the test runner kills with SIGKILL), the pipe closes and the watcher kills
 * the whole group. Exit hooks alone do not cover SIGKILL.
 *
 * The command itself gets /dev/null as stdin (nothing in the tier writes to a child's stdin).
 * Signal the group, not the sh: the sh outlives SIGTERM/SIGINT/SIGHUP (it does not pass them on;
 * the command got its own copy) and exits with the command's status once the command has ended,
 * so `exit` still means the command is done and a graceful stop can take its time.
 */
const TETHER = `
exec 3<&0
"$@" </dev/null &
child=$!
( cat <&3 >/dev/null 2>&1; kill -KILL 0 ) </dev/null >/dev/null 2>&1 &
watcher=$!
exec 3<&-
trap : TERM INT HUP
status=0
while :; do
  wait $child
  status=$?
  kill -0 $child 2>/dev/null || break
done
kill $watcher 2>/dev/null
exit $status
`;

export function spawnTethered(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, "detached" | "stdio"> & { stdout?: "pipe" | "ignore" } = {},
): ChildProcess {
  const { stdout = "pipe", ...rest } = options;
  return spawn("sh", ["-c", TETHER, "tethered", command, ...args], {
    ...rest,
    detached: true,
    stdio: ["pipe", stdout, "pipe"],
  });
}

/**
 * Runs the shell `script` (with `args` as $0, $1, ...) once this process has ended, however it
 * ends, SIGKILL included: a detached sh waits for EOF on a pipe from this process. Returns a
 * function that cancels it (for when the cleanup was done the normal way). Never keeps this
 * process alive.
 */
export function whenThisProcessEnds(script: string, args: readonly string[]): () => void {
  const watcher = spawn("sh", ["-c", `cat >/dev/null; ${script}`, ...args], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return () => {
    if (watcher.pid === undefined || watcher.exitCode !== null || watcher.signalCode !== null) {
      return;
    }
    try {
      process.kill(-watcher.pid, "SIGKILL");
    } catch {
      // gone
    }
  };
}
