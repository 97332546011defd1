import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sha256Hex } from "../../../shared/http/auth/tokens.ts";
import { freePort } from "../faults/helpers.ts";
import { spawnServer, waitForListening } from "../faults/spawn-server.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

/** `npm start` applies edits to its SWIFTBOOT_CONFIG_FILE without a restart (functions/local/reload.ts). */
let dir: string;
let db: TestStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "swiftboot-reload-"));
  db = await createTestStore("config-reload");
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const OLD_TOKEN = "sbt_reload-old-token-0123456789";
const NEW_TOKEN = "sbt_reload-new-token-0123456789";

async function configFile(tokens: string[], extra = ""): Promise<string> {
  const entries = await Promise.all(tokens.map(async (t) => `admin:${await sha256Hex(t)}`));
  return [
    "artifacts:",
    "  signing_key: a-long-enough-artifact-key-0123",
    "admin:",
    `  tokens: "${entries.join(",")}"`,
    extra,
  ].join("\n");
}

describe("npm start with a config file", () => {
  it("revokes a token, refuses a broken edit, and names what needs a restart", async () => {
    const path = join(dir, "swiftboot.yaml");
    await writeFile(path, await configFile([OLD_TOKEN]));
    const port = await freePort();
    const server = spawnServer({
      SWIFTBOOT_CONFIG_FILE: path,
      SWIFTBOOT_SERVER_PORT: String(port),
      SWIFTBOOT_LOCAL_DATA_DIR: join(dir, "data"),
      SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
      SWIFTBOOT_STORE_TABLE: db.table,
    });
    const status = async (token: string) =>
      (await fetch(`${url}/v1/images`, { headers: { authorization: `Bearer ${token}` } })).status;
    const reloads = () => server.stdout().split('"msg":"configuration reloaded"').length - 1;
    const waitFor = async (what: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(what()).toBe(true);
    };
    let url = "";
    try {
      url = await waitForListening(server);
      expect(await status(OLD_TOKEN)).toBe(200);
      expect(await status(NEW_TOKEN)).toBe(401);

      // Swap the token: the old one is refused from the reload on, with no restart.
      await writeFile(path, await configFile([NEW_TOKEN]));
      await waitFor(() => reloads() === 1);
      expect(await status(OLD_TOKEN)).toBe(401);
      expect(await status(NEW_TOKEN)).toBe(200);

      // A broken edit is refused by name; the running configuration stays.
      await writeFile(path, `${await configFile([OLD_TOKEN])}\nipxe:\n  retries: many\n`);
      await waitFor(() => server.stdout().includes("configuration reload failed"));
      expect(server.stdout()).toMatch(/config file ipxe\.retries: expected a whole number/);
      expect(await status(NEW_TOKEN)).toBe(200);
      expect(await status(OLD_TOKEN)).toBe(401);

      // Options bound at start stay as they are, and the reload says a restart is needed.
      await writeFile(path, await configFile([NEW_TOKEN], "server:\n  host: 127.0.0.2\n"));
      await waitFor(() => reloads() === 2);
      expect(server.stdout()).toMatch(/"restart_needed":\["server\.host"\]/);
      expect(await status(NEW_TOKEN)).toBe(200);

      // No token or its hash in any line.
      const out = server.stdout() + server.stderr();
      for (const secret of [
        OLD_TOKEN,
        NEW_TOKEN,
        await sha256Hex(OLD_TOKEN),
        await sha256Hex(NEW_TOKEN),
      ]) {
        expect(out).not.toContain(secret);
      }
    } finally {
      await server.stop();
    }
  }, 90_000);
});
