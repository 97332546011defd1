import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { writerGone } from "../../../shared/cache/adapters/fs-orphans.ts";

/**
 * Whether a fill's writer still runs (temp files and locks of `npm start` and `cache warm`): a
 * killed writer whose parent died with it lingers as a zombie until PID 1 reaps it, and signal 0
 * still reaches a zombie. It must count as gone, or a restart keeps its leftovers.
 */
describe("writerGone", () => {
  it("takes a zombie for gone and a running process for running", async () => {
    // `sleep 0` exits at once; its parent is exec'd into `sleep 5`, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const [chunk] = (await once(parent.stdout, "data")) as [Buffer];
      const zombiePid = Number(chunk.toString().trim());
      expect(zombiePid).toBeGreaterThan(0);
      // Wait until it has exited (a zombie), bounded.
      for (let i = 0; i < 100 && !writerGone(zombiePid, 0); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(writerGone(zombiePid, 0)).toBe(true);
      expect(writerGone(parent.pid as number, 0)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
      await once(parent, "exit").catch(() => {});
    }
  });

  it("takes a pid no process has for gone, and this process for running", () => {
    expect(writerGone(2 ** 22 + 12345, 0)).toBe(true);
    expect(writerGone(process.pid, Date.now())).toBe(false);
    expect(writerGone(-1, 0)).toBe(true);
  });
});
