import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare, type MiniflareOptions } from "miniflare";

/**
 * A Miniflare whose temporary directory (its in-memory R2 buckets and the like) is removed when
 * it is disposed. Miniflare makes one under os.tmpdir() per instance and removes it only in the
 * background or at process exit, which a test worker does not wait for: each run left a few
 * behind. The constructor picks the directory synchronously, so TMPDIR is pointed at one of ours
 * for the constructor alone.
 */
export function ownTmpMiniflare(options: MiniflareOptions): {
  mf: Miniflare;
  dispose(): Promise<void>;
} {
  const root = mkdtempSync(join(tmpdir(), "swiftboot-miniflare-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  let mf: Miniflare;
  try {
    mf = new Miniflare(options);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  return {
    mf,
    dispose: async () => {
      try {
        await mf.dispose();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
