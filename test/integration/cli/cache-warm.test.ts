import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import { FsFillLock, localLockDir } from "../../../functions/local/fs-fill-lock.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { cacheKeyOf } from "../artifacts/helpers.ts";
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
  for (const id of ["held", "orphaned"]) {
    await db.store.putImage({
      id,
      name: id,
      swift: { object: id },
      origin: `${origin.url}/kernel`,
      size: kernel.byteLength,
      sha256: sha256(kernel),
    });
  }
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

  it("shares npm start's fill lock: a held lock is reported with its expiry, and exits 1", async () => {
    const image = {
      id: "held",
      name: "held",
      swift: { object: "held" },
      origin: `${origin.url}/kernel`,
      size: kernel.byteLength,
      sha256: sha256(kernel),
    };
    // What a running `npm start` filling this image holds (this process runs, so it is live).
    const lock = new FsFillLock(localLockDir(dir));
    expect(await lock.tryAcquire(cacheKeyOf(image), 600, "swiftboot-server")).toBe(true);
    const expiresAt = (await lock.heldBy(cacheKeyOf(image)))?.expiresAt as number;
    const requestsBefore = origin.requests("/kernel");

    const busy = await run(["cache", "warm", "held", "k"]);
    expect(busy.code).toBe(1);
    expect(busy.out).toBe(
      [
        `busy    held: being filled by process ${process.pid} on ${hostname()}; its lock expires at ${new Date(expiresAt).toISOString()} (in 10 min) if that fill does not finish first`,
        "cached  k",
      ].join("\n"),
    );
    expect(busy.err).toBe("swiftboot: 1 image(s) not in the cache; see the lines above");
    expect(origin.requests("/kernel")).toBe(requestsBefore);

    await lock.release(cacheKeyOf(image), "swiftboot-server");
    const after = await run(["cache", "warm", "held"]);
    expect(after.code).toBe(0);
    expect(after.out).toBe(`filled  held (${kernel.byteLength} bytes)`);
  });

  it("takes over at once a lock whose holder no longer runs (a killed warm or server)", async () => {
    const image = {
      id: "orphaned",
      name: "orphaned",
      swift: { object: "orphaned" },
      origin: `${origin.url}/kernel`,
      size: kernel.byteLength,
      sha256: sha256(kernel),
    };
    const key = cacheKeyOf(image);
    mkdirSync(localLockDir(dir), { recursive: true });
    writeFileSync(
      join(localLockDir(dir), `${key.replaceAll("/", "+")}.lock`),
      JSON.stringify({
        v: 1,
        key,
        owner: "cli-killed",
        pid: 2 ** 30, // above Linux's process id limit: not running
        host: hostname(),
        acquiredAt: Date.now(),
        expiresAt: Date.now() + 900_000,
      }),
    );
    const res = await run(["cache", "warm", "orphaned"]);
    expect(res.code).toBe(0);
    expect(res.out).toBe(`filled  orphaned (${kernel.byteLength} bytes)`);
    expect(readdirSync(localLockDir(dir))).toEqual([]);
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
