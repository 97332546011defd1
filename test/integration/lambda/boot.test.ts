import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  FUNCTION_URL_HOST,
  KNOWN_MAC,
  SAMPLE_ARTIFACT_KEY,
  SOURCE_IP,
  sampleNode,
  UNKNOWN_MAC,
} from "../../../events/fixtures.ts";
import { retryBudget } from "../../../shared/store/client.ts";
import {
  type GateEvent,
  type GateMode,
  startBatchWriteGate,
} from "../../support/store/batch-write-gate.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildResultsForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { invokeStreamedText } from "./invoke.ts";
import { fakeSecretsService } from "./secrets-service.ts";
import { seedSampleTable } from "./seed.ts";

let bundle: string;
let eagerInputs: string[];
let db: TestStore;
let env: Record<string, string>;

beforeAll(async () => {
  const [[built], seeded] = await Promise.all([
    buildResultsForTest("boot"),
    seedSampleTable("lambda-boot"),
  ]);
  if (built === undefined) throw new Error("the boot bundle was not built");
  ({ file: bundle, eagerInputs } = built);
  db = seeded;
  env = {
    SWIFTBOOT_STORE_TABLE: db.table,
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    // DynamoDB Local keeps tables per region: the one the seeding store used.
    SWIFTBOOT_STORE_REGION: "us-east-1",
  };
});

/** The boot bundle as Lambda runs it: RESPONSE_STREAM, bodies decoded to text. */
const invokeBoot = (
  events: readonly unknown[],
  environment: Record<string, string>,
  options: Parameters<typeof invokeStreamedText>[3] = {},
) => invokeStreamedText(bundle, events, environment, options);

const BASE = `https://${FUNCTION_URL_HOST}`;
const hyphenated = (mac: string) => mac.replaceAll(":", "-");

describe("boot bundle, invoked with the sample events", () => {
  it("answers /boot.ipxe, a known and an unknown MAC in one execution environment", async () => {
    const { results, logs, rawLogs } = await invokeBoot(
      [loadEvent("boot-first-stage"), loadEvent("boot-known-node"), loadEvent("boot-unknown-node")],
      { ...env, SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY },
    );
    const [first, known, unknown] = results.map((r) => r.result);

    expect(first?.statusCode).toBe(200);
    expect(first?.headers?.["content-type"]).toBe("text/plain; charset=utf-8");
    expect(first?.headers?.["cache-control"]).toBe("no-store");
    expect(first?.body?.startsWith("#!ipxe\n")).toBe(true);
    // Function URLs are https only: the chain URL is the request's own origin.
    expect(first?.body).toContain(`chain --autofree --replace ${BASE}/boot/\${mac:hexhyp}.ipxe?`);

    expect(known?.statusCode).toBe(200);
    expect(known?.body).toMatch(
      new RegExp(
        `^kernel --name kernel ${BASE.replaceAll(".", "\\.")}/v1/artifacts/sample-kernel/[0-9a-f]{32}/vmlinuz\\?expires=\\d+&sig=[0-9a-f]{64} initrd=ramdisk BOOTIF=01-${hyphenated(KNOWN_MAC)} swiftboot\\.callback=${BASE.replaceAll(".", "\\.")}/v1/callbacks/node/sample-node/deploying/[0-9a-f]{16}/\\d+/[0-9a-f]{64} console=ttyS0,115200n8 `,
        "m",
      ),
    );
    expect(known?.body).toMatch(/^initrd --name ramdisk \S+\/v1\/artifacts\/sample-ramdisk\//m);

    expect(unknown?.statusCode).toBe(200);
    expect(unknown?.body).toContain("unknown machine");
    expect(unknown?.body).toContain(UNKNOWN_MAC);
    expect(unknown?.body).not.toMatch(/^kernel /m);

    // One JSON line per request, with the invocation's request id, the source IP, and EMF metrics.
    const requests = logs.filter((l) => l.msg === "request");
    expect(requests).toHaveLength(3);
    expect(requests.map((l) => l.request_id)).toEqual([
      "00000000-0000-4000-8000-000000000001",
      "00000000-0000-4000-8000-000000000002",
      "00000000-0000-4000-8000-000000000003",
    ]);
    expect(requests[1]).toMatchObject({
      fn: "boot",
      path: `/boot/${hyphenated(KNOWN_MAC)}.ipxe`,
      status: 200,
      node: "sample-node",
      client: SOURCE_IP,
      BootRequests: 1,
      BootState: "deploying",
      UrlMode: "artifacts",
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "swiftboot",
            Dimensions: [["BootState", "UrlMode"]],
            Metrics: [{ Name: "BootRequests", Unit: "Count" }],
          },
        ],
      },
    });
    expect(requests[2]).toMatchObject({ BootState: "unknown", UnknownMachines: 1 });
    expect(requests[0]).toMatchObject({ FirstStageRequests: 1 });
    // Neither the key nor a URL signature reaches the logs.
    expect(rawLogs).not.toContain(SAMPLE_ARTIFACT_KEY);
    expect(rawLogs).not.toMatch(/sig=[0-9a-f]{64}/);
  });

  it("answers 503 + Retry-After while the store is unreachable, and recovers", async () => {
    const { results } = await invokeBoot([loadEvent("boot-known-node")], {
      ...env,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
      SWIFTBOOT_STORE_ENDPOINT: "http://127.0.0.1:9",
      SWIFTBOOT_STORE_TIMEOUT_MS: "500",
    });
    expect(results[0]?.result.statusCode).toBe(503);
    expect(results[0]?.result.headers?.["retry-after"]).toBe("5");
    expect(results[0]?.result.body?.startsWith("#!ipxe\n")).toBe(true);
  });

  it("answers 500 (and says why in its log) when the configuration is invalid", async () => {
    const { results, logs } = await invokeBoot([loadEvent("boot-first-stage")], {
      ...env,
      SWIFTBOOT_IPXE_RETRIES: "many",
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    });
    expect(results[0]?.result.statusCode).toBe(500);
    expect(logs.find((l) => l.msg === "start failed")?.error).toMatch(/SWIFTBOOT_IPXE_RETRIES/);
  });
});

describe("boot history, off the critical path (RESPONSE_STREAM)", () => {
  const historyOf = async () =>
    (await db.store.listBoots(sampleNode.id, { limit: 1000 })).items.map((r) => r.at);
  const notRecorded = (logs: Record<string, unknown>[]) =>
    logs.filter((l) => l.msg === "boot history not recorded");
  /** A whole deploy script: it begins, names both images, boots, and ends with its fallback. */
  const expectWholeScript = (body: string | undefined) => {
    expect(body?.startsWith("#!ipxe\n")).toBe(true);
    expect(body).toMatch(/^kernel --name kernel \S+\/v1\/artifacts\/sample-kernel\//m);
    expect(body).toMatch(/^initrd --name ramdisk \S+\/v1\/artifacts\/sample-ramdisk\//m);
    expect(body).toMatch(/^boot\b/m);
    expect(body?.endsWith("\nexit\n")).toBe(true);
  };

  it("ends the stream while the write is held back, and returns only once it is in the table", async () => {
    const gate = await startBatchWriteGate(inject("dynamodbEndpoint"), "hold");
    try {
      const before = await historyOf();
      const { results, logs } = await invokeBoot(
        [loadEvent("boot-known-node")],
        {
          ...env,
          SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
          SWIFTBOOT_STORE_ENDPOINT: gate.endpoint,
        },
        { notifyUrl: gate.notifyUrl },
      );
      // The machine had the whole script when the stream ended...
      expect(results[0]?.result.statusCode).toBe(200);
      expectWholeScript(results[0]?.result.body);
      // ... and then nothing had been written: the gate holds writes until the stream has ended,
      // so a handler that waited for the write before ending the stream would never get past it.
      const { events } = gate;
      const at = (match: (e: GateEvent) => boolean) => events.findIndex(match);
      const ended = at((e) => e.kind === "ended");
      const written = at((e) => e.kind === "batch-write-answered");
      const returned = at((e) => e.kind === "returned");
      expect(events[ended]).toEqual({
        kind: "ended",
        invocation: 1,
        answered: 0,
        held: expect.any(Number),
      });
      // One BatchWriteItem, answered by DynamoDB Local before the handler's promise resolved.
      expect(events.filter((e) => e.kind === "batch-write-answered")).toEqual([
        { kind: "batch-write-answered", status: 200, unprocessed: 0 },
      ]);
      expect(ended).toBeLessThan(written);
      expect(written).toBeLessThan(returned);
      expect(events[returned]).toMatchObject({ kind: "returned", invocation: 1, answered: 1 });
      const after = await historyOf();
      expect(after.length).toBe(before.length + 1);
      expect(notRecorded(logs)).toEqual([]);
    } finally {
      await gate.close();
    }
  });

  it.each<GateMode>(["fail", "drop"])(
    "gives the machine its script when the write fails (%s), logs it once per request, retries it no further",
    async (mode) => {
      const gate = await startBatchWriteGate(inject("dynamodbEndpoint"), mode);
      try {
        const before = await historyOf();
        const { results, logs } = await invokeBoot(
          [loadEvent("boot-known-node"), loadEvent("boot-known-node")],
          {
            ...env,
            SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
            SWIFTBOOT_STORE_ENDPOINT: gate.endpoint,
          },
          { notifyUrl: gate.notifyUrl },
        );
        expect(results.map((r) => r.result.statusCode)).toEqual([200, 200]);
        for (const { result } of results) expectWholeScript(result.body);
        // One warning per request, with its own request id; no secret or URL in it.
        expect(notRecorded(logs)).toEqual([
          expect.objectContaining({
            level: "warn",
            node: sampleNode.id,
            request_id: "00000000-0000-4000-8000-000000000001",
          }),
          expect.objectContaining({
            level: "warn",
            node: sampleNode.id,
            request_id: "00000000-0000-4000-8000-000000000002",
          }),
        ]);
        // Each request's write is tried within the store's retry budget (the SDK's attempts)
        // before its handler returns, and the second request does not try the first's again.
        const { maxAttempts } = retryBudget(2_000);
        const attempts: number[] = [];
        let count = 0;
        for (const e of gate.events) {
          if (e.kind === "batch-write") count++;
          if (e.kind === "returned") {
            attempts.push(count);
            count = 0;
          }
        }
        expect(attempts).toEqual([maxAttempts, maxAttempts]);
        expect(count).toBe(0);
        expect(await historyOf()).toEqual(before);
      } finally {
        await gate.close();
      }
    },
  );
});

describe("through an API Gateway HTTP API (-c httpApi=true), which invokes it buffered", () => {
  it("writes a payload 2.0 result, not a stream, and still records the boot", async () => {
    const API_HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com";
    const event = loadEvent("boot-known-node") as {
      routeKey: string;
      headers: Record<string, string>;
      requestContext: { domainName: string; domainPrefix: string; apiId: string };
    };
    event.routeKey = "GET /boot/{file}";
    event.headers.host = API_HOST;
    event.requestContext.domainName = API_HOST;
    event.requestContext.domainPrefix = "a1b2c3d4e5";
    event.requestContext.apiId = "a1b2c3d4e5";
    const before = (await db.store.listBoots(sampleNode.id, { limit: 1000 })).items.length;
    const { results, logs } = await invokeBoot([event], {
      ...env,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    });
    // No prelude: what the function wrote is the whole payload, which API Gateway parses.
    const payload = JSON.parse(String(results[0]?.result.body)) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
      isBase64Encoded: boolean;
    };
    expect(payload).toMatchObject({
      statusCode: 200,
      isBase64Encoded: false,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
    expect(payload.body).toMatch(
      new RegExp(
        `^kernel --name kernel https://${API_HOST.replaceAll(".", "\\.")}/v1/artifacts/sample-kernel/`,
        "m",
      ),
    );
    expect((await db.store.listBoots(sampleNode.id, { limit: 1000 })).items.length).toBe(
      before + 1,
    );
    expect(logs.filter((l) => l.msg === "boot history not recorded")).toEqual([]);
  });
});

describe("what the boot bundle loads at import (its cold start, bench/cold-start.ts)", () => {
  it("holds the boot routes, zod/mini and hono, and nothing that only other requests need", () => {
    const loaded = (part: string) => eagerInputs.filter((input) => input.includes(part));
    // Present: what every request needs (the check below would pass on an empty list otherwise).
    expect(loaded("shared/http/routes/boot.ts")).toHaveLength(1);
    expect(loaded("node_modules/zod/v4/mini/")).not.toEqual([]);
    expect(loaded("node_modules/hono/")).not.toEqual([]);
    // Absent: classic zod (shared/validation/zod.ts), the AWS SDK and dynamodb-toolbox (loaded
    // with the store on first use), the artifact route and cache, and the admin API.
    for (const part of [
      "node_modules/zod/v4/classic/",
      "node_modules/@aws-sdk/",
      "node_modules/@smithy/",
      "node_modules/dynamodb-toolbox/",
      "node_modules/@hono/zod-openapi/",
      "shared/http/routes/artifacts.ts",
      "shared/artifacts/serve.ts",
      "shared/http/admin/",
    ]) {
      expect(loaded(part), part).toEqual([]);
    }
  });

  it("never serves the admin API, even with admin tokens configured (its URL is open)", async () => {
    const { results } = await invokeBoot([loadEvent("admin-list-nodes")], {
      ...env,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
      SWIFTBOOT_ADMIN_TOKENS: `admin:${"a".repeat(64)}`,
    });
    expect(results[0]?.result.statusCode).toBe(404);
    expect(JSON.parse(String(results[0]?.result.body))).toMatchObject({
      type: "urn:swiftboot:problem:not-found",
      detail: "no route /v1/nodes",
    });
  });

  it("answers a misrouted artifact request with 421, naming the artifacts function", async () => {
    const { results, logs } = await invokeBoot([loadEvent("artifact-get")], {
      ...env,
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    });
    expect(results[0]?.result.statusCode).toBe(421);
    expect(results[0]?.result.body).toContain("route /v1/artifacts/* to the artifacts function");
    expect(logs.find((l) => l.msg === "request")).toMatchObject({
      status: 421,
      refused: "misrouted",
    });
  });
});

describe("secrets at cold start", () => {
  const secret = JSON.stringify({
    "artifacts.signing_key": SAMPLE_ARTIFACT_KEY,
    "swift.temp_url_key": "",
  });
  let service: Awaited<ReturnType<typeof fakeSecretsService>>;
  beforeAll(async () => {
    service = await fakeSecretsService(secret);
  });
  afterAll(async () => {
    await service?.close();
  });

  it("reads them once from Secrets Manager, never from the environment", async () => {
    const before = service.calls.length;
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf";
    const { results, rawLogs } = await invokeBoot(
      [loadEvent("boot-known-node"), loadEvent("boot-known-node")],
      { ...env, SWIFTBOOT_SECRETS_ARN: arn, AWS_ENDPOINT_URL_SECRETS_MANAGER: service.url },
    );
    expect(results.map((r) => r.result.statusCode)).toEqual([200, 200]);
    expect(results[0]?.result.body).toMatch(/\/v1\/artifacts\/sample-kernel\//);
    const calls = service.calls.slice(before);
    expect(calls).toEqual([{ target: "secretsmanager.GetSecretValue", body: { SecretId: arn } }]);
    expect(rawLogs).not.toContain(SAMPLE_ARTIFACT_KEY);
  });

  it("reads them from an SSM SecureString parameter", async () => {
    const before = service.calls.length;
    const { results } = await invokeBoot([loadEvent("boot-known-node")], {
      ...env,
      SWIFTBOOT_SECRETS_ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/swiftboot/secrets",
      AWS_ENDPOINT_URL_SSM: service.url,
    });
    expect(results[0]?.result.statusCode).toBe(200);
    expect(service.calls.slice(before)).toEqual([
      {
        target: "AmazonSSM.GetParameter",
        body: { Name: "/swiftboot/secrets", WithDecryption: true },
      },
    ]);
  });

  it("reads them again every SWIFTBOOT_SECRETS_MAX_AGE seconds, and signs with a new key at once", async () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf";
    const rotated = "a-rotated-in-artifact-signing-key-0123";
    const doc = (current: string, previous?: string) =>
      JSON.stringify({
        "artifacts.signing_key": current,
        ...(previous ? { "artifacts.previous_signing_key": previous } : {}),
      });
    service.answer(doc(SAMPLE_ARTIFACT_KEY), doc(rotated, SAMPLE_ARTIFACT_KEY));
    const before = service.calls.length;
    try {
      const { results, logs, rawLogs } = await invokeBoot(
        [loadEvent("boot-known-node"), loadEvent("boot-known-node"), loadEvent("boot-known-node")],
        {
          ...env,
          SWIFTBOOT_SECRETS_ARN: arn,
          SWIFTBOOT_SECRETS_MAX_AGE: "1",
          AWS_ENDPOINT_URL_SECRETS_MANAGER: service.url,
        },
        { pauseMs: 1_100 },
      );
      expect(results.map((r) => r.result.statusCode)).toEqual([200, 200, 200]);
      // Read at the start, then once per second that went by: three reads for three requests.
      expect(service.calls.length - before).toBe(3);
      const signedWith = (body: string | undefined) => {
        const url = new URL(/^kernel --name kernel (\S+)/m.exec(body ?? "")?.[1] ?? "http://x/");
        const path = url.pathname;
        const expires = url.searchParams.get("expires");
        const sig = url.searchParams.get("sig");
        for (const key of [SAMPLE_ARTIFACT_KEY, rotated]) {
          const expected = createHmac("sha256", key)
            .update(`GET\n${expires}\n${path}`)
            .digest("hex");
          if (expected === sig) return key;
        }
        return "neither";
      };
      // The first request signs with the key read at the start; after the re-read, the new one.
      expect(results.map((r) => signedWith(r.result.body))).toEqual([
        SAMPLE_ARTIFACT_KEY,
        rotated,
        rotated,
      ]);
      expect(logs.filter((l) => l.msg === "secret refresh failed")).toEqual([]);
      expect(rawLogs).not.toContain(rotated);
      expect(rawLogs).not.toContain(SAMPLE_ARTIFACT_KEY);
    } finally {
      service.answer(secret);
    }
  });

  it("keeps serving with what it read when a re-read fails, and says so", async () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf";
    service.answer(secret, "not json");
    try {
      const { results, logs } = await invokeBoot(
        [loadEvent("boot-known-node"), loadEvent("boot-known-node")],
        {
          ...env,
          SWIFTBOOT_SECRETS_ARN: arn,
          SWIFTBOOT_SECRETS_MAX_AGE: "1",
          AWS_ENDPOINT_URL_SECRETS_MANAGER: service.url,
        },
        { pauseMs: 1_100 },
      );
      expect(results.map((r) => r.result.statusCode)).toEqual([200, 200]);
      expect(results[1]?.result.body).toMatch(/\/v1\/artifacts\/sample-kernel\//);
      expect(logs.filter((l) => l.msg === "secret refresh failed")).toMatchObject([
        {
          level: "warn",
          fn: "boot",
          error: expect.stringMatching(/^SecretsError: the secret is not JSON/),
        },
      ]);
    } finally {
      service.answer(secret);
    }
  });

  it("answers 503 + Retry-After when the secret cannot be read, then retries", async () => {
    const { results, logs } = await invokeBoot(
      [loadEvent("boot-first-stage"), loadEvent("boot-first-stage")],
      {
        ...env,
        SWIFTBOOT_SECRETS_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
        AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://127.0.0.1:9",
      },
    );
    expect(results.map((r) => r.result.statusCode)).toEqual([503, 503]);
    expect(results[0]?.result.headers?.["retry-after"]).toBe("5");
    expect(logs.filter((l) => l.msg === "start failed")).toHaveLength(2);
  });
});

describe("under sam local", () => {
  it("runs without AWS: no secret ARN, the sample key signs artifact URLs", async () => {
    const { results } = await invokeBoot([loadEvent("boot-known-node")], {
      ...env,
      AWS_SAM_LOCAL: "true",
      SWIFTBOOT_SECRETS_ARN: "",
    });
    expect(results[0]?.result.statusCode).toBe(200);
    expect(results[0]?.result.body).toMatch(/\/v1\/artifacts\/sample-kernel\//);
  });

  it("never outside it: without secrets the configuration is refused", async () => {
    const { results } = await invokeBoot([loadEvent("boot-known-node")], env);
    expect(results[0]?.result.statusCode).toBe(500);
  });
});

afterAll(() => removeTestBuilds());
