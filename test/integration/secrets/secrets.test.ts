import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConfigError, parseConfig } from "../../../shared/config/index.ts";
import { imageSchema, nodeSchema } from "../../../shared/model/index.ts";
import { createDynamoStore } from "../../../shared/store/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { type FaultOrigin, startFaultOrigin } from "../../support/fault-origin.ts";
import { brokenStore } from "../../support/store/index.ts";
import { tempCache } from "../artifacts/helpers.ts";
import { freePort } from "../faults/helpers.ts";
import { spawnServer, waitForListening } from "../faults/spawn-server.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

/**
 * Nothing secret ever leaves swiftboot except where it must: a representative workload (boot
 * scripts in both URL modes, artifact downloads and refusals, store failures, admin calls with
 * good and bad tokens, configuration errors), in-process and as a spawned `npm start` process
 * queried with curl, and then every log line, every byte of stdout/stderr and every response
 * body is searched for the temp URL key, the artifact signing key, the admin tokens and their
 * configured hashes, and for every URL signature swiftboot minted (full hex `sig=` /
 * `temp_url_sig=` values). Signatures may appear only in the scripts that carry them.
 */
const TEMP_URL_KEY = "secrets-temp-url-key-0123456789abcdef";
const ARTIFACT_KEY = "secrets-artifact-key-0123456789abcdef";
const ADMIN_TOKEN = "sbt_secrets-admin-token-0123456789abcdef";
const READ_TOKEN = "sbt_secrets-read-token-0123456789abcdef";
const sha256 = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");
const TOKENS_ENTRY = `admin:${sha256(ADMIN_TOKEN)},read:${sha256(READ_TOKEN)}`;
const SECRETS: Record<string, string> = {
  "temp URL key": TEMP_URL_KEY,
  "artifact signing key": ARTIFACT_KEY,
  "admin token": ADMIN_TOKEN,
  "read token": READ_TOKEN,
  "admin token hash": sha256(ADMIN_TOKEN),
  "read token hash": sha256(READ_TOKEN),
};
const MAC = "52:54:00:5e:c0:01";
const MAC_PATH = `/boot/${MAC.replaceAll(":", "-")}.ipxe`;
const KERNEL = new Uint8Array(40_000).map((_, i) => i % 251);

const run = promisify(execFile);

/** Everything that left swiftboot, by where it went. */
interface Outputs {
  /** Log lines and process output (stdout, stderr): nothing secret, no signature at all. */
  logs: { where: string; text: string }[];
  /** Response bodies: no secret; signatures only inside the scripts that carry them. */
  bodies: { where: string; text: string; script: boolean }[];
}
const out: Outputs = { logs: [], bodies: [] };
/** Every signature seen in a script: none may turn up anywhere else. */
const minted = new Set<string>();

function noteBody(where: string, status: number, text: string): void {
  const script = text.startsWith("#!ipxe") && status < 500;
  out.bodies.push({ where: `${where} (${status})`, text, script });
  if (script) {
    for (const m of text.matchAll(/(?:temp_url_sig|sig)=([0-9a-f]{40,128})/g))
      minted.add(m[1] as string);
  }
}

async function get(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  noteBody(`${init.method ?? "GET"} ${path.slice(0, 80)}`, res.status, text);
  return { status: res.status, text };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let db: TestStore;
let origin: FaultOrigin;
let cache: Awaited<ReturnType<typeof tempCache>>;
let dataRoot: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  db = await createTestStore("secrets");
  origin = await startFaultOrigin();
  origin.set("/kernel", KERNEL);
  origin.set("/ramdisk", KERNEL.subarray(0, 1000));
  cache = await tempCache();
  dataRoot = await mkdtemp(join(tmpdir(), "swiftboot-secrets-"));
  await db.store.putImage(
    imageSchema.parse({
      id: "kernel",
      name: "kernel",
      swift: { container: "images", object: "ipa/deploy.kernel" },
      origin: `${origin.url}/kernel`,
      size: KERNEL.byteLength,
      sha256: sha256(KERNEL),
    }),
  );
  await db.store.putImage(
    imageSchema.parse({
      id: "ramdisk",
      name: "ramdisk",
      swift: { container: "images", object: "ipa/deploy.initramfs" },
      origin: `${origin.url}/ramdisk`,
    }),
  );
  await db.store.putNode(
    nodeSchema.parse({
      id: "secret-node",
      name: "secret node",
      macs: [MAC],
      state: "deploying",
      deploy: { kernel: "kernel", ramdisk: "ramdisk" },
    }),
  );
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await origin?.close();
  await cache?.remove();
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

const ARTIFACT_ENV = {
  SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
  // Configured but unused in this mode: must stay as secret as in Swift mode.
  SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://127.0.0.1:9",
  SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
  SWIFTBOOT_SWIFT_TEMP_URL_KEY: TEMP_URL_KEY,
  SWIFTBOOT_ADMIN_TOKENS: TOKENS_ENTRY,
  SWIFTBOOT_LOG_LEVEL: "debug",
};
const SWIFT_ENV = {
  ...ARTIFACT_ENV,
  SWIFTBOOT_IPXE_USE_SWIFT: "true",
  SWIFTBOOT_SWIFT_TEMP_URL_BIND_IP: "true",
};

/** Boot, download, refuse, administer: what one server sees in a day, in miniature. */
async function workload(base: string, mode: "artifacts" | "swift"): Promise<void> {
  await get(base, "/boot.ipxe");
  const script = await get(base, `${MAC_PATH}?arch=x86_64&platform=efi`);
  expect(script.status).toBe(200);
  await get(base, `${MAC_PATH}?attempt=3&uuid=nope`);
  await get(base, "/boot/52-54-00-99-99-99.ipxe");
  await get(base, `/boot/%24%7B${encodeURIComponent(ARTIFACT_KEY.slice(0, 5))}%7D.ipxe`);

  if (mode === "artifacts") {
    const kernel = /^kernel --name kernel (\S+)/m.exec(script.text)?.[1] as string;
    expect(kernel).toMatch(/sig=[0-9a-f]{64}/);
    const path = kernel.slice(kernel.indexOf("/v1/"));
    expect((await get(base, path)).status).toBe(200);
    expect((await get(base, path, { method: "HEAD" })).status).toBe(200);
    expect((await get(base, path, { headers: { range: "bytes=0-9" } })).status).toBe(206);
    // Refusals: tampered, truncated, expired, wrong method. None may echo the signature.
    expect(
      (
        await get(
          base,
          path.replace(/sig=([0-9a-f])/, (_, c) => `sig=${c === "a" ? "b" : "a"}`),
        )
      ).status,
    ).toBe(403);
    expect((await get(base, path.replace(/sig=([0-9a-f]{10})[0-9a-f]+/, "sig=$1"))).status).toBe(
      401,
    );
    expect((await get(base, path.replace(/expires=\d+/, "expires=1000000000"))).status).toBe(401);
    expect((await get(base, path, { method: "DELETE" })).status).toBe(405);
  }

  // Admin API: good tokens, wrong ones, tokens where they do not belong.
  expect((await get(base, "/v1/nodes", { headers: bearer(ADMIN_TOKEN) })).status).toBe(200);
  expect((await get(base, "/v1/nodes/secret-node", { headers: bearer(READ_TOKEN) })).status).toBe(
    200,
  );
  expect(
    (await get(base, "/v1/nodes/secret-node/boots", { headers: bearer(ADMIN_TOKEN) })).status,
  ).toBe(200);
  const put = await get(base, "/v1/nodes/secret-other", {
    method: "PUT",
    headers: { ...bearer(ADMIN_TOKEN), "content-type": "application/json" },
    body: JSON.stringify({
      id: "secret-other",
      name: "other",
      macs: ["52:54:00:5e:c0:02"],
      state: "enroll",
    }),
  });
  expect(put.status).toBeLessThan(300);
  for (const headers of [
    bearer(`${ADMIN_TOKEN}x`),
    bearer(sha256(ADMIN_TOKEN)),
    { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}` },
  ]) {
    expect((await get(base, "/v1/nodes", { headers })).status).toBe(401);
  }
  expect(
    (await get(base, "/v1/nodes/secret-node", { method: "DELETE", headers: bearer(READ_TOKEN) }))
      .status,
  ).toBe(403);
  expect((await get(base, `/v1/nodes?token=${ADMIN_TOKEN}`)).status).toBe(401);
  await get(base, "/v1/nodes/secret-node", {
    method: "PATCH",
    headers: { ...bearer(ADMIN_TOKEN), "content-type": "application/merge-patch+json" },
    body: JSON.stringify({ kernel_args: "a=1 ${x}" }),
  });
}

function findLeaks(outputs: Outputs = out): string[] {
  const leaks: string[] = [];
  const sigs = [...minted];
  for (const { where, text } of outputs.logs) {
    for (const [what, secret] of Object.entries(SECRETS)) {
      if (text.includes(secret)) leaks.push(`${what} in ${where}`);
    }
    for (const sig of sigs) if (text.includes(sig)) leaks.push(`a minted signature in ${where}`);
    if (/(?:temp_url_sig|[?&]sig)=[0-9a-f]{40}/.test(text))
      leaks.push(`a full signature in ${where}`);
  }
  for (const { where, text, script } of outputs.bodies) {
    for (const [what, secret] of Object.entries(SECRETS)) {
      if (text.includes(secret)) leaks.push(`${what} in the answer to ${where}`);
    }
    if (!script)
      for (const sig of sigs)
        if (text.includes(sig)) leaks.push(`a signature in the answer to ${where}`);
  }
  return leaks;
}

describe("no secret leaves swiftboot", () => {
  it("in-process: both URL modes, failures and the admin API", async () => {
    const artifacts = await startTestServer(db.store, ARTIFACT_ENV, { cache: cache.cache });
    const swift = await startTestServer(db.store, SWIFT_ENV);
    const down = await startTestServer(brokenStore(), ARTIFACT_ENV);
    const unreachable = await startTestServer(
      createDynamoStore({
        table: db.table,
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        timeoutMs: 300,
      }),
      SWIFT_ENV,
    );
    servers.push(artifacts, swift, down, unreachable);

    await workload(artifacts.url, "artifacts");
    await workload(swift.url, "swift");
    for (const failing of [down, unreachable]) {
      expect((await get(failing.url, MAC_PATH)).status).toBe(503);
      await get(failing.url, "/v1/nodes", { headers: bearer(ADMIN_TOKEN) });
      await get(failing.url, "/v1/nodes/secret-node", {
        method: "DELETE",
        headers: bearer(ADMIN_TOKEN),
      });
    }
    // Boot history is written after the answer: let it land (and log) before reading the logs.
    await new Promise((r) => setTimeout(r, 300));
    for (const [name, s] of Object.entries({ artifacts, swift, down, unreachable })) {
      out.logs.push(...s.rawLogs.map((text, i) => ({ where: `${name} log line ${i + 1}`, text })));
    }
    expect(minted.size).toBeGreaterThanOrEqual(4); // both modes minted URLs, and they were seen
    expect(out.logs.length).toBeGreaterThan(40);
    expect(findLeaks()).toEqual([]);
    // The search itself finds what it looks for.
    const sig = [...minted][0] as string;
    const planted: Outputs = {
      logs: [{ where: "planted", text: `{"url":"/x?sig=${sig}"}` }],
      bodies: [{ where: "planted", text: `error ${ARTIFACT_KEY}`, script: false }],
    };
    expect(findLeaks(planted)).toHaveLength(3);
  }, 60_000);

  it("configuration errors never echo a secret value", () => {
    const cases: Record<string, string>[] = [
      { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "short-secret-15" },
      { SWIFTBOOT_IPXE_USE_SWIFT: "true", SWIFTBOOT_SWIFT_TEMP_URL_KEY: "short-secret-15" },
      {
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
        SWIFTBOOT_ADMIN_TOKENS: `admin:${ADMIN_TOKEN}`,
      },
      {
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
        SWIFTBOOT_ADMIN_TOKENS: `${ADMIN_TOKEN},read:${sha256(READ_TOKEN)}`,
      },
      {
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
        SWIFTBOOT_ARTIFACTS_SIGNNG_KEY: ARTIFACT_KEY,
      },
    ];
    for (const env of cases) {
      let message = "";
      try {
        parseConfig({ env });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        message = error.message;
      }
      expect(message, JSON.stringify(Object.keys(env))).not.toBe("");
      for (const value of Object.values(env)) {
        if (value.length >= 15 && value !== "true") expect(message).not.toContain(value);
      }
    }
  });

  it("a spawned server (npm start) writes no secret to stdout or stderr, whatever it is asked", async () => {
    for (const [mode, env] of [
      ["artifacts", ARTIFACT_ENV],
      ["swift", SWIFT_ENV],
    ] as const) {
      const port = await freePort();
      const server = spawnServer({
        ...env,
        SWIFTBOOT_SERVER_PORT: String(port),
        SWIFTBOOT_LOCAL_DATA_DIR: await mkdtemp(join(dataRoot, `${mode}-`)),
        SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
        SWIFTBOOT_STORE_TABLE: db.table,
      });
      try {
        const base = await waitForListening(server);
        // curl, as an operator would: the script, its kernel, a tampered URL, the admin API.
        const curl = async (...args: string[]) => {
          const { stdout } = await run("curl", [
            "-sS",
            "--max-time",
            "20",
            "-w",
            "\n%{http_code}",
            ...args,
          ]);
          const status = Number(stdout.slice(stdout.lastIndexOf("\n") + 1));
          const text = stdout.slice(0, stdout.lastIndexOf("\n"));
          noteBody(`curl ${args.at(-1)?.slice(0, 60)} (${mode})`, status, text);
          return { status, text };
        };
        const script = await curl(`${base}${MAC_PATH}`);
        expect(script.status).toBe(200);
        await curl(`${base}/boot.ipxe`);
        if (mode === "artifacts") {
          const kernel = /^kernel --name kernel (\S+)/m.exec(script.text)?.[1] as string;
          expect((await curl("-o", "/dev/null", kernel)).status).toBe(200);
          expect((await curl(kernel.replace(/sig=[0-9a-f]{4}/, "sig=0000"))).status).toBe(403);
        }
        expect(
          (await curl("-H", `Authorization: Bearer ${ADMIN_TOKEN}`, `${base}/v1/nodes`)).status,
        ).toBe(200);
        expect(
          (await curl("-H", `Authorization: Bearer ${ADMIN_TOKEN}x`, `${base}/v1/nodes`)).status,
        ).toBe(401);
      } finally {
        await server.stop();
      }
      out.logs.push({ where: `${mode} server stdout`, text: server.stdout() });
      out.logs.push({ where: `${mode} server stderr`, text: server.stderr() });
      expect(server.stdout()).toContain('"msg":"request"');
    }
    // A refused start-up prints its error, and only that.
    const refused = spawnServer({
      SWIFTBOOT_IPXE_USE_SWIFT: "true",
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: "short-secret-15",
      SWIFTBOOT_ADMIN_TOKENS: `admin:${ADMIN_TOKEN}`,
      SWIFTBOOT_LOCAL_DATA_DIR: await mkdtemp(join(dataRoot, "refused-")),
    });
    expect((await refused.exited).code).not.toBe(0);
    out.logs.push({ where: "refused server output", text: refused.stderr() + refused.stdout() });
    expect(refused.stderr()).not.toContain("short-secret-15");
    expect(findLeaks()).toEqual([]);
  }, 120_000);
});
