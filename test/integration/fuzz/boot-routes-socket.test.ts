// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  anyText,
  BOOT_PREFIXES,
  encoded,
  hostText,
  longSegment,
  macForms,
  queryString,
  randomMac,
  SOCKET_RUNS,
  SUFFIXES,
  WHOLE_PATHS,
} from "./arbitraries.ts";
import { FUZZ_IMAGES, FUZZ_NODES, KNOWN_MACS } from "./fixtures.ts";
import { type RawResponse, rawRequest } from "./raw-http.ts";

/**
 * The boot routes over a real socket, with the real DynamoDB-backed store: raw request lines and
 * headers (what Node's HTTP parser and the hono adapter see before the app), a smaller sample
 * than the in-process test. Node's parser and the adapter may refuse a request outright (400,
 * 431 with no script); nothing may answer 5xx, hang, or take the server down, and whatever the
 * app answers on a boot route is a safe script.
 */
const ARTIFACT_KEY = "fuzz-socket-artifact-key-0123456789";
const ALL_EXPANSIONS = [
  ...["mac:hexhyp", "uuid", "buildarch", "platform"].map((setting) => ({
    setting,
    command: "chain",
  })),
  { setting: "mac:hexhyp", command: "kernel" },
];

let db: TestStore;
let server: TestServer;
let port: number;

beforeAll(async () => {
  db = await createTestStore("fuzz-socket");
  for (const image of FUZZ_IMAGES) await db.store.putImage(image);
  for (const node of FUZZ_NODES) await db.store.putNode(node);
  server = await startTestServer(db.store, { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_MACS).chain(macForms) },
  { weight: 1, arbitrary: randomMac },
  { weight: 4, arbitrary: encoded(anyText) },
  { weight: 1, arbitrary: longSegment },
);
const withQuery = ([path, q]: [string, string]) => `${path}${q === "" ? "" : `?${q}`}`;
const target = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...WHOLE_PATHS, "http://evil.example/boot.ipxe", "*") },
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        segment.map((seg) => `/boot/${seg}.ipxe`),
        queryString,
      )
      .map(withQuery),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc
          .tuple(fc.constantFrom(...BOOT_PREFIXES), segment, fc.constantFrom(...SUFFIXES))
          .map((p) => p.join("")),
        queryString,
      )
      .map(withQuery),
  },
);
const requestHead = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant("GET") },
      { weight: 1, arbitrary: fc.constantFrom("HEAD", "POST", "get", "GET /x", "") },
    ),
    target,
    host: fc.option(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom("127.0.0.1", "boot.example:8080", "10.0.2.2") },
        { weight: 1, arbitrary: hostText },
      ),
      { freq: 12, nil: undefined },
    ),
    extra: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant("Accept: */*") },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "X-Forwarded-Host: evil${x}.example",
            "X-Forwarded-For: 1.2.3.4, ${x}",
            'Forwarded: for="[::1]";host=evil',
            "User-Agent: iPXE/1.0.0+git",
            "Transfer-Encoding: chunked",
            "Content-Length: 5",
            "Content-Length: -1",
          ),
        },
        {
          weight: 1,
          arbitrary: fc.integer({ min: 8_000, max: 40_000 }).map((n) => `X-Big: ${"y".repeat(n)}`),
        },
        { weight: 2, arbitrary: anyText.map((s) => `X-Junk: ${s}`) },
      ),
      { maxLength: 3 },
    ),
  })
  .map(({ method, target, host, extra }) =>
    [
      `${method} ${target} HTTP/1.1`,
      ...(host === undefined ? [] : [`Host: ${host}`]),
      ...extra,
      "Connection: close",
      "",
      "",
    ].join("\r\n"),
  );

function check(head: string, res: RawResponse | { error: string }, counts: Map<string, number>) {
  const where = `${JSON.stringify(head.slice(0, 400))}`;
  assert.ok(!("error" in res), `${where}: ${"error" in res ? res.error : ""}`);
  const r = res as RawResponse;
  const key = r.body.startsWith("#!ipxe") ? `script ${r.status}` : `other ${r.status}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  assert.ok(r.status < 500, `${where} → ${r.raw.slice(0, 600)}`);
  assert.ok(!r.body.includes(ARTIFACT_KEY), where);
  if (r.body.startsWith("#!ipxe")) {
    assert.deepEqual(
      scriptProblems(r.body, { expansions: ALL_EXPANSIONS }),
      [],
      `${where}\n${r.body}`,
    );
    assert.equal(r.headers.get("cache-control"), "no-store", where);
  }
  // A 200 from the boot routes is always a script.
  if (r.status === 200 && /^GET \/boot[/.]/.test(head))
    assert.ok(r.body.startsWith("#!ipxe"), where);
}

describe(`boot routes under hostile requests, over a real socket (${SOCKET_RUNS} runs)`, () => {
  it("never 5xx, never hangs, every script safe; the server stays up", async () => {
    const counts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestHead, async (head) =>
        check(head, await rawRequest(port, head), counts),
      ),
      { numRuns: SOCKET_RUNS, endOnFailure: true },
    );
    if (process.env.FUZZ_STATS) console.log(Object.fromEntries(counts));
    const scripts = [...counts]
      .filter(([k]) => k.startsWith("script"))
      .reduce((n, [, v]) => n + v, 0);
    // A floor on coverage, not a proportion to hit: the generator must keep reaching the script
    // paths (86-110 of 300 runs were scripts over seven runs; 0.3 × 300 sat inside that spread and
    // failed one run in a few).
    expect(scripts).toBeGreaterThan(SOCKET_RUNS * 0.15);
    expect(counts.get("script 200") ?? 0).toBeGreaterThan(0);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    // Nothing the app logged was an error (no 5xx, no exception).
    expect(server.logs().filter((l) => l.level === "error")).toEqual([]);
    expect(server.rawLogs.join("\n")).not.toContain(ARTIFACT_KEY);
    expect(server.rawLogs.join("\n")).not.toMatch(/sig=[0-9a-f]{16}/);
  }, 300_000);

  it("refuses the extremes without a 5xx", async () => {
    const cases: [string, (status: number) => boolean][] = [
      [
        `GET /boot.ipxe HTTP/1.1\r\nHost: ${"h".repeat(20_000)}\r\nConnection: close\r\n\r\n`,
        (s) => s === 431 || s === 400,
      ],
      [
        `GET /boot/${"a".repeat(60_000)}.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        (s) => s < 500,
      ],
      [
        "GET /boot/52-54-00-12-34-56\u0000.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        (s) => s === 400,
      ],
      ["GET /boot/%00.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", (s) => s === 200],
      [
        "GET /boot.ipxe HTTP/1.1\r\nHost: evil${x}.example\r\nConnection: close\r\n\r\n",
        (s) => s === 400,
      ],
      ["GET /boot.ipxe HTTP/1.1\r\nConnection: close\r\n\r\n", (s) => s === 400],
      [
        "GET /boot/..%2F..%2Fetc%2Fpasswd.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        (s) => s === 200,
      ],
      [
        "GET /boot/\\..\\boot.ipxe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        (s) => s === 400,
      ],
    ];
    for (const [head, ok] of cases) {
      const res = await rawRequest(port, head);
      assert.ok(!("error" in res), JSON.stringify(head.slice(0, 100)));
      const r = res as RawResponse;
      assert.ok(ok(r.status), `${JSON.stringify(head.slice(0, 100))} → ${r.status}`);
      if (r.body.startsWith("#!ipxe"))
        assert.deepEqual(scriptProblems(r.body, { expansions: ALL_EXPANSIONS }), []);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
