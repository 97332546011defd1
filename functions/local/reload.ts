import { unwatchFile, watchFile } from "node:fs";
import type { Config } from "../../shared/config/index.ts";

/**
 * Options `npm start` binds at start-up: the socket, the data directory, the store and whether
 * there is an artifact cache. A reload that changes one of them keeps the running value and says
 * that a restart is needed; everything else takes effect at once.
 */
const BOUND_AT_START = [
  "server.host",
  "server.port",
  "local.data_dir",
  "local.cache_expiry_days",
  "store.table",
  "store.endpoint",
  "store.region",
  "store.timeout_ms",
  "ipxe.use_swift",
] as const;

/** The options of BOUND_AT_START whose values differ between `before` and `after`. */
export function restartOnlyChanges(before: Config, after: Config): string[] {
  const value = (config: Config, dotted: string) => {
    const [group, key] = dotted.split(".") as [keyof Config, string];
    return (config[group] as Record<string, unknown>)[key];
  };
  return BOUND_AT_START.filter((option) => value(before, option) !== value(after, option));
}

/**
 * `after`, with the options bound at start-up put back to their running values, so the app
 * rebuilt from it matches the store, cache and socket it is served with.
 */
export function withBoundOptions(running: Config, after: Config): Config {
  const merged = structuredClone(after);
  for (const option of BOUND_AT_START) {
    const [group, key] = option.split(".") as [keyof Config, string];
    (merged[group] as Record<string, unknown>)[key] = (running[group] as Record<string, unknown>)[
      key
    ];
  }
  return merged;
}

/**
 * Calls `onChange` whenever the file's modification time or size changes. Polled (stat once a
 * second) rather than watched through inotify, so an editor that saves by writing a new file and
 * renaming it over the old one is still seen. Returns a function that stops watching.
 */
export function watchConfigFile(path: string, onChange: () => void, intervalMs = 1000): () => void {
  const listener = (current: { mtimeMs: number; size: number }, previous: typeof current) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) onChange();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
