import { unwatchFile, watchFile } from "node:fs";
import { type Config, groups } from "../../shared/config/index.ts";

type Bound = readonly [group: keyof Config, key: string];

/**
 * Options `npm start` binds at start-up: the socket (`server.*`), the data directory and the cache
 * under it (`local.*`), the store (`store.*`) and whether there is an artifact cache
 * (`ipxe.use_swift`). A reload that changes one of them keeps the running value and says that a
 * restart is needed; everything else takes effect at once.
 */
const BOUND_AT_START: readonly Bound[] = [
  ...(["server", "local", "store"] as const).flatMap((group) =>
    Object.keys(groups[group].shape).map((key): Bound => [group, key]),
  ),
  ["ipxe", "use_swift"],
];

const optionValue = (config: Config, [group, key]: Bound): unknown =>
  (config[group] as Record<string, unknown>)[key];

/** The options of BOUND_AT_START whose values differ between `before` and `after`. */
export function restartOnlyChanges(before: Config, after: Config): string[] {
  return BOUND_AT_START.filter(
    (option) => optionValue(before, option) !== optionValue(after, option),
  ).map(([group, key]) => `${group}.${key}`);
}

/**
 * `after`, with the options bound at start-up put back to their running values, so the app
 * rebuilt from it matches the store, cache and socket it is served with.
 */
export function withBoundOptions(running: Config, after: Config): Config {
  const merged = structuredClone(after);
  for (const option of BOUND_AT_START) {
    const [group, key] = option;
    (merged[group] as Record<string, unknown>)[key] = optionValue(running, option);
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
