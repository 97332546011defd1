import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let db: TestStore;
let origin: FaultOrigin;
let dir: string;
const kernel = new Uint8Array(randomBytes(300_000));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: (c) => {
      exitCode = c;
    },
    env: {
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "cache-warm-key-0123456789",
      SWIFTBOOT_LOCAL_DATA_DIR: dir,
    },
  };
  const code = await main(["node", "swiftboot", ...args], io);
  return { code: code || exitCode, out: out.join("\n"), err: err.join("\n") };
}

/** Every regular file under the cache's artifacts/ tree, except temp files. */
function cachedFiles(): string[] {
  const root = join(dir, "cache");
  return (readdirSync(root, { recursive: true }) as string[]).filter(
    (f) =>
      f.startsWith("artifacts") &&
      !f.endsWith(".json") &&
      !f.includes(".tmp") &&
      /[0-9a-f]{16,}$/.test(f),
  );
}

beforeAll(async () => {
  db = await createTestStore("cli-warm");
  origin = await startFaultOrigin();
  dir = mkdtempSync(join(tmpdir(), "swiftboot-warm-"));
  origin.set("/kernel", kernel);
  origin.set("/bad", kernel);
  origin.fault("/bad", { kind: "wrong" });
  await db.store.putImage({
    id: "k",
    name: "kernel",
    swift: { object: "k" },
    origin: `${origin.url}/kernel`,
    size: kernel.byteLength,
    sha256: sha256(kernel),
  });
  await db.store.putImage({
    id: "bad",
    name: "bad",
    swift: { object: "bad" },
    origin: `${origin.url}/bad`,
    size: kernel.byteLength,
    sha256: sha256(kernel),
  });
});

afterAll(async () => {
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("swiftboot cache warm", () => {
  it("fills the local cache from the image's origin once, then finds it cached", async () => {
    const first = await run(["cache", "warm", "k"]);
    expect(first.code).toBe(0);
    expect(first.out).toBe(`filled  k (${kernel.byteLength} bytes)`);
    expect(origin.requests("/kernel")).toBe(1);
    const files = cachedFiles();
    expect(files).toHaveLength(1);
    expect(sha256(new Uint8Array(readFileSync(join(dir, "cache", files[0] as string))))).toBe(
      sha256(kernel),
    );

    const again = await run(["cache", "warm", "k"]);
    expect(again.out).toBe("cached  k");
    expect(origin.requests("/kernel")).toBe(1);
  });

  it("reports an origin serving wrong bytes, stores nothing, and exits non-zero", async () => {
    const before = cachedFiles();
    const res = await run(["cache", "warm", "bad"]);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^failed {2}bad: /);
    expect(cachedFiles()).toEqual(before);
  });

  it("refuses unknown images and a call naming nothing", async () => {
    expect((await run(["cache", "warm", "nope"])).err).toContain("no image with id nope");
    expect((await run(["cache", "warm"])).err).toContain("name image ids, or pass --all");
  });

  it("--all walks every image", async () => {
    const res = await run(["cache", "warm", "--all"]);
    expect(res.out).toContain("cached  k");
    expect(res.out).toContain("failed  bad");
  });
});
