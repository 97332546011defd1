// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Hono } from "hono";
import { describe, it } from "vitest";
import { type Config, parseConfig, secretsOf } from "../../../shared/config/index.ts";
import { type AppEnv, createApp } from "../../../shared/http/index.ts";
import { IPXE_COMMANDS } from "../../../shared/ipxe/script.ts";
import { createMemoryLogger } from "../../../shared/log/index.ts";
import { CorruptRecordError, StoreUnavailableError } from "../../../shared/store/errors.ts";
import type { BootStore } from "../../../shared/store/types.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import { brokenStore, fixedStore } from "../../support/store/index.ts";
import {
  anyText,
  BOOT_PREFIXES,
  encoded,
  headerName,
  headerValue,
  hostText,
  longSegment,
  macForms,
  queryString,
  RUNS,
  randomMac,
  SUFFIXES,
  WHOLE_PATHS,
} from "./arbitraries.ts";
import { FUZZ_IMAGES, FUZZ_NODES, KNOWN_MACS } from "./fixtures.ts";

/**
 * The boot routes against hostile requests, in-process (`app.request`, no socket) for speed:
 * whatever the path, query, Host and headers, the app never answers 5xx (except 503 when the
 * store is down), never throws, and every answer on a boot route is a script that starts with
 * `#!ipxe` and, parsed with the test model of iPXE's tokenizer, holds no command, expansion or
 * operator swiftboot did not write. The sample over a real socket is boot-routes-socket.test.ts.
 */
const TEMP_URL_KEY = "fuzz-temp-url-key-0123456789abcdef";
const ARTIFACT_KEY = "fuzz-artifact-key-0123456789abcdef";

interface Target {
  name: string;
  app: Hono<AppEnv>;
  config: Config;
  /** 503 is a correct answer only when the store can fail. */
  storeFails: boolean;
  /** 500 (with a script) is the answer for a machine whose node record is corrupt. */
  corrupt?: boolean;
  lines: string[];
}

/** A store that fails like an overloaded DynamoDB on about half the calls. */
function flakyStore(inner: BootStore, seed: number): BootStore {
  let state = seed;
  const coin = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % 2 === 0;
  };
  const maybeFail = async <T>(call: () => Promise<T>): Promise<T> => {
    if (coin()) throw new StoreUnavailableError("flaky store (fuzz)");
    return call();
  };
  return {
    findNodeByMac: (mac) => maybeFail(() => inner.findNodeByMac(mac)),
    findNodeByUuid: (uuid) => maybeFail(() => inner.findNodeByUuid(uuid)),
    getImages: (ids) => maybeFail(() => inner.getImages(ids)),
  };
}

/** Reads the node of MAC 52:54:00:12:34:58 as corrupt, as a hand-edited item would be. */
function corruptStore(inner: BootStore): BootStore {
  return {
    ...inner,
    findNodeByMac: async (mac) => {
      const node = await inner.findNodeByMac(mac);
      if (node?.id === "active-net") throw new CorruptRecordError("NODE#active-net", "state: bad");
      return node;
    },
    findNodeByUuid: (uuid) => inner.findNodeByUuid(uuid),
    getImages: (ids) => inner.getImages(ids),
  };
}

function target(
  name: string,
  env: Record<string, string>,
  store: BootStore,
  storeFails = false,
  corrupt = false,
): Target {
  const config = parseConfig({ env });
  const { logger, lines } = createMemoryLogger({ secrets: secretsOf(config) });
  const app = createApp({
    config,
    store,
    logger,
    // The socket's address, for temp_url_bind_ip: hostile values come in through a test header.
    clientAddress: (c) => c.req.header("x-fuzz-client"),
  });
  return { name, app, config, storeFails, corrupt, lines };
}

const SWIFT_ENV = {
  SWIFTBOOT_IPXE_USE_SWIFT: "true",
  SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift.example:8080",
  SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
  SWIFTBOOT_SWIFT_CONTAINER: "images",
  SWIFTBOOT_SWIFT_TEMP_URL_KEY: TEMP_URL_KEY,
};
const ARTIFACT_ENV = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY };
const memory = () => fixedStore(FUZZ_NODES, FUZZ_IMAGES);

const TARGETS: Target[] = [
  target("artifacts", ARTIFACT_ENV, memory()),
  target(
    "swift, bind ip, no retries, shell",
    {
      ...SWIFT_ENV,
      SWIFTBOOT_SWIFT_TEMP_URL_BIND_IP: "true",
      SWIFTBOOT_IPXE_RETRIES: "0",
      SWIFTBOOT_IPXE_FAIL_ACTION: "shell",
    },
    memory(),
  ),
  target(
    "artifacts, public url, reboot",
    {
      ...ARTIFACT_ENV,
      SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.example:8080",
      SWIFTBOOT_IPXE_FAIL_ACTION: "reboot",
      SWIFTBOOT_IPXE_TIMEOUT_MS: "30000",
    },
    memory(),
  ),
  target("artifacts, store down", ARTIFACT_ENV, brokenStore(), true),
  target("swift, flaky store", SWIFT_ENV, flakyStore(memory(), 7), true),
  target("artifacts, a corrupt node record", ARTIFACT_ENV, corruptStore(memory()), false, true),
];

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_MACS).chain(macForms) },
  { weight: 2, arbitrary: randomMac },
  { weight: 4, arbitrary: encoded(anyText) },
  { weight: 1, arbitrary: longSegment },
);
const path = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...WHOLE_PATHS) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...BOOT_PREFIXES.slice(0, 1)),
        segment,
        fc.constantFrom(...SUFFIXES.slice(0, 3)),
      )
      .map((p) => p.join("")),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...BOOT_PREFIXES), segment, fc.constantFrom(...SUFFIXES))
      .map((p) => p.join("")),
  },
);
const requestArb = fc.record({
  target: fc.nat({ max: TARGETS.length - 1 }),
  method: fc.oneof(
    { weight: 12, arbitrary: fc.constant("GET") },
    { weight: 1, arbitrary: fc.constantFrom("HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH") },
  ),
  host: hostText,
  path,
  query: queryString,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
  client: fc.option(
    fc.oneof(fc.constantFrom("10.0.2.15", "::ffff:10.0.2.15", "fd00::1"), anyText),
    {
      nil: undefined,
    },
  ),
});
type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** The Request, or undefined when no client could send it (an unparseable URL). */
function buildRequest(r: FuzzRequest): Request | undefined {
  const headers = new Headers();
  try {
    for (const [name, value] of r.headers) headers.append(name, value);
    if (r.client !== undefined) headers.set("x-fuzz-client", r.client);
  } catch {
    // a header value no client can send
  }
  const query = r.query === "" ? "" : `?${r.query}`;
  for (const host of [r.host, "boot.example"]) {
    try {
      return new Request(`http://${host}${r.path}${query}`, { method: r.method, headers });
    } catch {
      // try the next host
    }
  }
  return undefined;
}

function allowedCommands(config: Config): string[] {
  const fail = config.ipxe.fail_action;
  return IPXE_COMMANDS.filter((c) => (c !== "reboot" && c !== "shell") || c === fail);
}

const FIRST_STAGE_EXPANSIONS = ["mac:hexhyp", "uuid", "buildarch", "platform"].map((setting) => ({
  setting,
  command: "chain",
}));
const NO_MAC_EXPANSIONS = [
  { setting: "mac:hexhyp", command: "kernel" },
  { setting: "mac:hexhyp", command: "chain" },
];

describe(`boot routes under hostile requests, in-process (${RUNS} runs)`, () => {
  it("never 5xx (but 503 from a failing store, 500 for a corrupt record), always a safe script", async () => {
    const stats = {
      built: 0,
      skipped: 0,
      scripts: 0,
      firstStage: 0,
      outcomes: new Map<string, number>(),
    };
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const t = TARGETS[r.target] as Target;
        const request = buildRequest(r);
        if (request === undefined) {
          stats.skipped++;
          return;
        }
        stats.built++;
        const url = new URL(request.url);
        t.lines.length = 0;
        const res = await t.app.request(request);
        const body = await res.text();
        const where = `${t.name}: ${request.method} ${request.url.slice(0, 300)} → ${res.status}\n${body.slice(0, 2000)}`;

        // No 5xx, except 503 + Retry-After from a store that can fail, and 500 (no Retry-After)
        // for a corrupt record; both with a script body, checked below.
        if (res.status >= 500) {
          const unavailable = t.storeFails && res.status === 503;
          const corrupt = t.corrupt === true && res.status === 500;
          assert.ok(unavailable || corrupt, where);
          assert.equal(res.headers.get("retry-after") !== null, unavailable, where);
          if (request.method !== "HEAD") assert.ok(body.startsWith("#!ipxe\n"), where);
        }
        for (const secret of [TEMP_URL_KEY, ARTIFACT_KEY]) assert.ok(!body.includes(secret), where);

        const line = t.lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === "request");
        assert.ok(line, `no request log line: ${where}`);
        for (const secret of [TEMP_URL_KEY, ARTIFACT_KEY])
          assert.ok(!t.lines.some((l) => l.includes(secret)), where);
        assert.ok(!t.lines.some((l) => /sig=[0-9a-f]{16}/.test(l)), where);

        const unambiguous = !url.pathname.includes("%");
        const firstStage = url.pathname === "/boot.ipxe";
        const perNode = /^\/boot\/[^/]+$/.test(url.pathname);
        const isScript = body.startsWith("#!ipxe");
        if (request.method === "GET" && unambiguous && (firstStage || perNode)) {
          assert.ok(isScript, `expected a script: ${where}`);
        }
        if (request.method === "GET" && !isScript) {
          // Anything else is the plain not-found answer (or another route's own answer).
          assert.ok(res.status === 404 || !(firstStage || perNode), where);
          return;
        }
        if (!isScript) return;

        stats.scripts++;
        assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8", where);
        assert.equal(res.headers.get("cache-control"), "no-store", where);
        const isFirstStage = line.outcome === "first-stage";
        if (isFirstStage) stats.firstStage++;
        const expansions = isFirstStage
          ? FIRST_STAGE_EXPANSIONS
          : line.mac === undefined
            ? NO_MAC_EXPANSIONS
            : [];
        const problems = scriptProblems(body, { expansions, commands: allowedCommands(t.config) });
        assert.deepEqual(problems, [], where);
        if (typeof line.outcome === "string" && !isFirstStage) {
          stats.outcomes.set(line.outcome, (stats.outcomes.get(line.outcome) ?? 0) + 1);
        }
        if (res.status === 200 && line.outcome === "boot") {
          assert.match(
            body,
            /^kernel --name kernel (?:--timeout \d+ )?http:\/\/\S+ initrd=ramdisk /m,
            where,
          );
        }
      }),
      { numRuns: RUNS, endOnFailure: !!process.env.NO_SHRINK },
    );
    if (process.env.FUZZ_STATS)
      console.log({ ...stats, outcomes: Object.fromEntries(stats.outcomes) });
    // The inputs must reach the interesting answers often enough for the property to mean much.
    assert.ok(stats.skipped < RUNS * 0.05, `skipped ${stats.skipped}`);
    assert.ok(stats.scripts > RUNS * 0.5, `scripts ${stats.scripts}`);
    assert.ok(stats.firstStage > RUNS / 200, `first stage ${stats.firstStage}`);
    for (const outcome of ["boot", "unknown", "local", "refuse", "error"]) {
      assert.ok(
        (stats.outcomes.get(outcome) ?? 0) > RUNS / 200,
        `${outcome}: ${stats.outcomes.get(outcome) ?? 0}`,
      );
    }
  }, 300_000);
});
