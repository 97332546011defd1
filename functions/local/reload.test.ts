import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../shared/config/index.ts";
import { restartOnlyChanges, watchConfigFile, withBoundOptions } from "./reload.ts";

const KEY = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "0123456789abcdef-key" };

describe("config reload", () => {
  it("names the changed options that need a restart and keeps their running values", () => {
    const running = parseConfig({ env: { ...KEY, SWIFTBOOT_SERVER_PORT: "8080" } });
    const edited = parseConfig({
      env: {
        ...KEY,
        SWIFTBOOT_SERVER_PORT: "9090",
        SWIFTBOOT_STORE_TABLE: "other",
        SWIFTBOOT_IPXE_RETRIES: "7",
        SWIFTBOOT_LOG_LEVEL: "debug",
      },
    });
    expect(restartOnlyChanges(running, edited)).toEqual(["server.port", "store.table"]);
    const applied = withBoundOptions(running, edited);
    expect(applied.server.port).toBe(8080);
    expect(applied.store.table).toBe("swiftboot");
    // Everything else takes effect.
    expect(applied.ipxe.retries).toBe(7);
    expect(applied.log.level).toBe("debug");
    // The edited configuration itself is left alone.
    expect(edited.server.port).toBe(9090);
    expect(restartOnlyChanges(running, applied)).toEqual([]);
  });

  it("watches a file for changes, including a save that replaces it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "swiftboot-reload-"));
    const path = join(dir, "swiftboot.yaml");
    await writeFile(path, "ipxe: { retries: 1 }\n");
    let changes = 0;
    const stop = watchConfigFile(path, () => changes++, 20);
    const until = async (n: number) => {
      const deadline = Date.now() + 5_000;
      while (changes < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(path, "ipxe: { retries: 22 }\n");
      await until(1);
      expect(changes).toBe(1);
      // An editor's save: a new file renamed over the old one.
      await writeFile(join(dir, "tmp"), "ipxe: { retries: 333 }\n");
      await rename(join(dir, "tmp"), path);
      await until(2);
      expect(changes).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
