import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import { freePort } from "./helpers.ts";
import { listening, spawnServer, waitForListening } from "./spawn-server.ts";

/**
 * Bad configuration at start-up: `npm start` refuses to start, says which variable is wrong, and
 * never listens. In particular it never serves unsigned or never-expiring URLs because a key is
 * missing, short, or misspelt.
 */
let dataRoot: string;
let db: TestStore;

beforeAll(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), "swiftboot-config-errors-"));
  db = await createTestStore("faults-config");
});

afterAll(async () => {
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

const SWIFT = {
  SWIFTBOOT_IPXE_USE_SWIFT: "true",
  SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://127.0.0.1:1",
  SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
};
const SHORT_KEY = "short-key-12345"; // 15 characters: one too few

interface BadCase {
  name: string;
  env: Record<string, string>;
  /** The variable the message must name. */
  names: string;
  /** A value that must not be echoed (a secret). */
  secret?: string;
  /** Config file content, passed with SWIFTBOOT_CONFIG_FILE. */
  file?: string;
}

const CASES: BadCase[] = [
  {
    name: "Swift mode without a temp URL key",
    env: { ...SWIFT },
    names: "SWIFTBOOT_SWIFT_TEMP_URL_KEY",
  },
  {
    name: "Swift mode with an empty temp URL key",
    env: { ...SWIFT, SWIFTBOOT_SWIFT_TEMP_URL_KEY: "" },
    names: "SWIFTBOOT_SWIFT_TEMP_URL_KEY",
  },
  {
    name: "an artifact signing key that is too short",
    env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SHORT_KEY },
    names: "SWIFTBOOT_ARTIFACTS_SIGNING_KEY",
    secret: SHORT_KEY,
  },
  {
    name: "a misspelt option (unknown SWIFTBOOT_ variable)",
    env: {
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
      SWIFTBOOT_IPXE_USE_SWFT: "true",
    },
    names: "SWIFTBOOT_IPXE_USE_SWFT",
  },
  {
    name: "a temp URL that would never expire (duration 0)",
    env: {
      ...SWIFT,
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: "a-long-enough-temp-url-key-0123",
      SWIFTBOOT_SWIFT_TEMP_URL_DURATION: "0",
    },
    names: "SWIFTBOOT_SWIFT_TEMP_URL_DURATION",
  },
  {
    name: "an artifact URL lifetime out of range",
    env: {
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
      SWIFTBOOT_ARTIFACTS_URL_DURATION: "99999999",
    },
    names: "SWIFTBOOT_ARTIFACTS_URL_DURATION",
  },
  {
    name: "a public URL that is not http(s)",
    env: {
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
      SWIFTBOOT_IPXE_PUBLIC_URL: "ftp://boot.example",
    },
    names: "SWIFTBOOT_IPXE_PUBLIC_URL",
  },
  {
    name: "a config file asking for Swift mode without a key",
    env: {},
    file: "ipxe:\n  use_swift: true\nswift:\n  endpoint_url: http://127.0.0.1:1\n  account: AUTH_test\n",
    names: "swift.temp_url_key",
  },
];

describe("npm start with bad configuration", () => {
  for (const bad of CASES) {
    it(`refuses ${bad.name}: exit != 0, names ${bad.names}, never listens`, async () => {
      const port = await freePort();
      const dataDir = await mkdtemp(join(dataRoot, "data-"));
      const env: Record<string, string> = {
        ...bad.env,
        SWIFTBOOT_SERVER_PORT: String(port),
        SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
        // Were it to start anyway, it would use this store instead of launching DynamoDB Local.
        SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
        SWIFTBOOT_STORE_TABLE: db.table,
      };
      if (bad.file !== undefined) {
        const file = join(dataDir, "swiftboot.yaml");
        await writeFile(file, bad.file);
        env.SWIFTBOOT_CONFIG_FILE = file;
      }
      const server = spawnServer(env);
      const { code } = await server.exited;
      const output = server.stderr() + server.stdout();
      expect(code, output).not.toBe(0);
      expect(code, output).not.toBeNull();
      expect(server.stderr()).toContain("invalid configuration");
      expect(server.stderr()).toContain(bad.names);
      if (bad.secret !== undefined) expect(output).not.toContain(bad.secret);
      expect(server.stdout()).not.toContain('"msg":"listening"');
      expect(await listening(port)).toBe(false);
      // It stopped before touching anything: no database, no generated key beside a given one.
      expect(existsSync(join(dataDir, "dynamodb"))).toBe(false);
      if (bad.env.SWIFTBOOT_ARTIFACTS_SIGNING_KEY !== undefined) {
        expect(await readdir(dataDir)).not.toContain("artifact-signing-key");
      }
    }, 60_000);
  }

  it("starts, listens and stops cleanly with a good configuration (the control case)", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(dataRoot, "data-"));
    const server = spawnServer({
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
      SWIFTBOOT_SERVER_PORT: String(port),
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
    });
    try {
      const url = await waitForListening(server);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(await listening(port)).toBe(true);
      const res = await fetch(`${url}/boot.ipxe`);
      expect(res.status).toBe(200);
      expect((await res.text()).startsWith("#!ipxe\n")).toBe(true);
    } finally {
      const { code, signal } = await server.stop();
      expect(code === 0 || signal === "SIGTERM").toBe(true);
    }
    expect(await listening(port)).toBe(false);
  }, 60_000);

  it("accepts a short temp URL key (Swift sets no minimum) with a warning that never shows it", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(dataRoot, "data-"));
    const key = "Zq7-key";
    const server = spawnServer({
      ...SWIFT,
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: key,
      SWIFTBOOT_IPXE_TIMEOUT_MS: "60",
      SWIFTBOOT_SERVER_PORT: String(port),
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
    });
    try {
      await waitForListening(server);
      expect(server.stderr()).toContain(
        "swiftboot: warning: swift.temp_url_key is 7 characters: accepted (Swift sets no minimum)",
      );
      expect(server.stderr()).toContain("swiftboot: warning: ipxe.timeout_ms is 60: milliseconds");
      expect(server.stderr()).toContain(
        "listening on this machine only: set SWIFTBOOT_SERVER_HOST",
      );
      expect(server.stderr() + server.stdout()).not.toContain(key);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it("says in one sentence, without a stack, that the port is taken, naming SWIFTBOOT_SERVER_PORT", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(dataRoot, "data-"));
    const holder = createServer().listen(port, "127.0.0.1");
    await once(holder, "listening");
    try {
      const server = spawnServer({
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
        SWIFTBOOT_SERVER_PORT: String(port),
        SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
        SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
        SWIFTBOOT_STORE_TABLE: db.table,
      });
      const { code } = await server.exited;
      expect(code).toBe(2);
      expect(server.stderr()).toContain(
        `swiftboot: cannot listen on 127.0.0.1:${port}: another program is using port ${port}; stop it, or set SWIFTBOOT_SERVER_PORT (server.port) to another port (0 picks a free one)`,
      );
      expect(server.stderr()).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  }, 60_000);

  it("expires local cache files older than local.cache_expiry_days at start, and only those", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(dataRoot, "data-"));
    const dir = join(dataDir, "cache", "artifacts", "img");
    await mkdir(dir, { recursive: true });
    for (const name of ["old", "new"]) {
      await writeFile(join(dir, name), name);
      await writeFile(join(dir, `.${name}.meta.json`), "{}");
    }
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(join(dir, "old"), twoDaysAgo, twoDaysAgo);
    const server = spawnServer({
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "a-long-enough-artifact-key-0123",
      SWIFTBOOT_SERVER_PORT: String(port),
      SWIFTBOOT_LOCAL_DATA_DIR: dataDir,
      SWIFTBOOT_LOCAL_CACHE_EXPIRY_DAYS: "1",
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
    });
    try {
      await waitForListening(server);
      const deadline = Date.now() + 10_000;
      while (!server.stdout().includes('"msg":"artifact cache expired"') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(server.stdout()).toMatch(/"msg":"artifact cache expired","removed":1,"days":1/);
      expect((await readdir(dir)).sort()).toEqual([".new.meta.json", "new"]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
