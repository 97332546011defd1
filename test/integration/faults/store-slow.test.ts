import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDynamoStore, type DynamoStore } from "../../../shared/store/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import { startTcpDelayProxy, type TcpDelayProxy } from "../../support/tcp-delay-proxy.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  ARTIFACT_KEY,
  faultMac,
  faultNodes,
  macPath,
  seed,
  stableScript,
  timedGet,
  unavailableProblems,
  waitFor,
} from "./helpers.ts";

/**
 * DynamoDB that answers late, never, or rudely: a TCP proxy (test/support/tcp-delay-proxy.ts)
 * stands between swiftboot's store and the shared DynamoDB Local and changes behaviour mid-run.
 *
 * Bound: a boot request makes two store calls in sequence (node lookup, then the image batch),
 * each limited to `store.timeout_ms`, so the worst case is about 2 × timeout_ms; a store that is
 * slow on every call fails the first one, at about 1 × timeout_ms.
 */
/**
 * The default budget. With less, each SDK attempt gets under 450 ms, and DynamoDB Local on a
 * busy 2-core machine can take that long under a 50-request burst, after an outage has drained
 * the SDK's retry quota (so a slow attempt is not retried): see docs/operations.md.
 */
const TIMEOUT_MS = 2_000;
const MARGIN_MS = 2_500;
const NODES = 10;
const CONCURRENT = 50;

let db: TestStore;
let proxy: TcpDelayProxy;
let slowStore: DynamoStore;
let server: TestServer;

beforeAll(async () => {
  db = await createTestStore("faults-slow");
  await seed(db.store, faultNodes(NODES));
  proxy = await startTcpDelayProxy({ upstream: inject("dynamodbEndpoint") });
  slowStore = createDynamoStore({
    table: db.table,
    endpoint: proxy.url,
    region: "us-east-1",
    timeoutMs: TIMEOUT_MS,
  });
  server = await startTestServer(slowStore, {
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY,
    SWIFTBOOT_STORE_TIMEOUT_MS: String(TIMEOUT_MS),
  });
});

afterAll(async () => {
  await server?.close();
  slowStore?.client.destroy();
  await proxy?.close();
});

const paths = Array.from({ length: CONCURRENT }, (_, i) => macPath(faultMac(i % NODES)));
const burst = () => Promise.all(paths.map((p) => timedGet(`${server.url}${p}`)));

describe("a slow, silent or resetting DynamoDB", () => {
  let healthy: string;

  it("serves scripts through the proxy while it passes traffic", async () => {
    const res = await timedGet(`${server.url}${macPath(faultMac(0))}`);
    expect(res.status).toBe(200);
    expect(scriptProblems(res.text)).toEqual([]);
    healthy = stableScript(res.text);
  });

  it("serves normally when answers are late but inside the budget", async () => {
    proxy.setMode("delay", { delayMs: Math.round(TIMEOUT_MS * 0.1) });
    for (const res of await burst()) expect(res.status).toBe(200);
  });

  for (const mode of ["delay", "blackhole"] as const) {
    it(`answers 50 concurrent requests with 503 within ~timeout_ms when it is ${mode === "delay" ? "20 s late" : "silent"}`, async () => {
      proxy.setMode(mode, { delayMs: 20_000 });
      const answers = await burst();
      for (const res of answers) expect(unavailableProblems(res)).toEqual([]);
      const slowest = Math.max(...answers.map((a) => a.ms));
      expect(slowest).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      // It really waited for the store (the SDK's per-attempt request timeout is ~0.45 × budget).
      expect(Math.min(...answers.map((a) => a.ms))).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.3);
      const last = server.logs().at(-1);
      expect(String(last?.error)).toMatch(/^DynamoDB did not answer within 2000 ms/);
    });
  }

  it("answers 503 at once when every connection is reset", async () => {
    proxy.setMode("reset");
    proxy.dropConnections();
    const answers = await burst();
    for (const res of answers) expect(unavailableProblems(res)).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
  });

  it("never takes more than ~2 × timeout_ms, whatever the delay (200 or 503, never hung)", async () => {
    for (const fraction of [0.2, 0.45, 0.7, 1.5]) {
      proxy.setMode("delay", { delayMs: Math.round(TIMEOUT_MS * fraction) });
      proxy.dropConnections();
      const answers = await Promise.all(
        paths.slice(0, 10).map((p) => timedGet(`${server.url}${p}`)),
      );
      for (const res of answers) {
        expect([200, 503]).toContain(res.status);
        expect(scriptProblems(res.text)).toEqual([]);
        expect(res.ms).toBeLessThan(2 * TIMEOUT_MS + MARGIN_MS);
      }
    }
  }, 60_000);

  it("recovers by itself as soon as the store answers again, with the same scripts", async () => {
    proxy.setMode("pass");
    const tookMs = await waitFor(
      async () => (await timedGet(`${server.url}${macPath(faultMac(0))}`)).status === 200,
      10_000,
    );
    expect(tookMs).toBeLessThan(10_000);
    const answers = await burst();
    for (const res of answers) expect(res.status).toBe(200);
    expect(stableScript(answers[0]?.text ?? "")).toBe(healthy);
  });
});
