import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../../functions/local/dynamodb-local.ts";
import { createDynamoStore, type DynamoStore, ensureTable } from "../../../shared/store/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import {
  ARTIFACT_KEY,
  faultMac,
  faultNodes,
  freePort,
  macPath,
  seed,
  stableScript,
  type TimedResponse,
  tableSnapshot,
  timedGet,
  unavailableProblems,
  waitFor,
} from "./helpers.ts";

/**
 * DynamoDB goes away while swiftboot runs, then comes back. This file runs its OWN DynamoDB Local
 * (persistent, on a fixed port) so it can stop and restart it without disturbing other files.
 *
 * - while it is down, boot requests get 503 + Retry-After with a runnable script, promptly (50 at
 *   once, none hung), and the first-stage script is still served (it needs no store);
 * - when it is back on the same port and data directory, requests succeed again by themselves,
 *   with the same answers, and the table holds exactly what it held before.
 */
/**
 * The default budget: with less, a 50-request burst on a just-started (cold JVM) DynamoDB Local
 * on a busy machine can exceed the SDK's per-attempt limit while the store is perfectly up.
 */
const TIMEOUT_MS = 2_000;
/** Scheduling slack on a shared 2-core machine; a hung request would take the client's 30 s. */
const MARGIN_MS = 2_500;
const NODES = 20;
const CONCURRENT = 50;

let dir: string;
let port: number;
let ddb: DynamoDbLocal | undefined;
let store: DynamoStore;
let raw: DynamoDBDocumentClient;
let server: TestServer;
const table = "faults-store-down";

async function startDdb(): Promise<DynamoDbLocal> {
  ddb = await startDynamoDbLocal({ port, dbPath: dir });
  return ddb;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "swiftboot-faults-ddb-"));
  port = await freePort();
  const local = await startDdb();
  store = createDynamoStore({
    table,
    endpoint: local.endpoint,
    region: "us-east-1",
    timeoutMs: TIMEOUT_MS,
  });
  raw = DynamoDBDocumentClient.from(store.client);
  await ensureTable(store.client, table);
  await seed(store, faultNodes(NODES));
  server = await startTestServer(store, {
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
    SWIFTBOOT_STORE_TIMEOUT_MS: String(TIMEOUT_MS),
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  store?.client.destroy();
  await ddb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const paths = Array.from({ length: CONCURRENT }, (_, i) => macPath(faultMac(i % NODES)));
const burst = () => Promise.all(paths.map((p) => timedGet(`${server.url}${p}`)));

describe("DynamoDB stopped and restarted under a running swiftboot", () => {
  let before: Record<string, unknown>[];
  const scriptsBefore = new Map<string, string>();

  it("serves every node while the store is up", async () => {
    before = await tableSnapshot(raw, table, { withoutHistory: true });
    expect(before.length).toBeGreaterThanOrEqual(2 + NODES * 2); // images, nodes, MAC claims, ...
    // Warm the JVM and the connection pool before the burst.
    for (let i = 0; i < NODES; i++) await timedGet(`${server.url}${macPath(faultMac(i))}`);
    for (const res of await burst()) {
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^kernel --name kernel \S+\/v1\/artifacts\/ipa-kernel\//m);
      expect(scriptProblems(res.text)).toEqual([]);
    }
    for (let i = 0; i < NODES; i++) {
      const res = await timedGet(`${server.url}${macPath(faultMac(i))}`);
      scriptsBefore.set(faultMac(i), stableScript(res.text));
    }
  });

  it("answers 503 + Retry-After, promptly and all at once, while it is down", async () => {
    await ddb?.stop();
    ddb = undefined;
    const logsBefore = server.logs().length;
    const answers: TimedResponse[] = await burst();
    const slowest = Math.max(...answers.map((a) => a.ms));
    for (const res of answers) expect(unavailableProblems(res)).toEqual([]);
    expect(answers[0]?.headers.get("retry-after")).toBe("5");
    expect(answers[0]?.text).toContain("unavailable");
    expect(slowest).toBeLessThan(TIMEOUT_MS + MARGIN_MS);

    // The first stage needs no store.
    const first = await timedGet(`${server.url}/boot.ipxe`);
    expect(first.status).toBe(200);

    // Each failure is one error-level log line that says why, without any secret.
    const lines = server.logs().slice(logsBefore);
    const failures = lines.filter((l) => l.status === 503);
    expect(failures).toHaveLength(CONCURRENT);
    for (const l of failures) {
      expect(l.level).toBe("error");
      // Refused connects, or resets of kept-alive sockets (which the SDK names TimeoutError):
      // broken connections, found at once, not a slow store.
      expect(String(l.error)).toMatch(
        /^DynamoDB could not be reached \((ECONNREFUSED|ECONNRESET|EPIPE)/,
      );
    }
    expect(server.rawLogs.join("\n")).not.toContain(ARTIFACT_KEY);
  });

  it("keeps answering 503 (not hanging) for as long as it is down", async () => {
    const started = performance.now();
    for (let round = 0; round < 3; round++) {
      const res = await timedGet(`${server.url}${macPath(faultMac(round))}`);
      expect(res.status).toBe(503);
    }
    expect(performance.now() - started).toBeLessThan(3 * (TIMEOUT_MS + MARGIN_MS));
  });

  it("recovers by itself when it is back on the same port and data, with nothing lost", async () => {
    await startDdb();
    const tookMs = await waitFor(
      async () => (await timedGet(`${server.url}${macPath(faultMac(0))}`)).status === 200,
      20_000,
    );
    expect(tookMs).toBeLessThan(20_000);
    for (let i = 0; i < NODES; i++) await timedGet(`${server.url}${macPath(faultMac(i))}`);

    for (const res of await burst()) expect(res.status).toBe(200);
    for (let i = 0; i < NODES; i++) {
      const res = await timedGet(`${server.url}${macPath(faultMac(i))}`);
      expect(res.status).toBe(200);
      expect(stableScript(res.text)).toBe(scriptsBefore.get(faultMac(i)));
    }
    expect(await tableSnapshot(raw, table, { withoutHistory: true })).toEqual(before);
  }, 90_000);
});
