import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import type { BootRecord } from "../../../shared/store/boot-record.ts";
import { createDynamoClient, LOCAL_CREDENTIALS } from "../../../shared/store/client.ts";
import { createDirectCall, resolveEndpoint } from "../../../shared/store/direct-call.ts";
import { createDirectGetItem } from "../../../shared/store/direct-get-item.ts";
import { StoreError, StoreUnavailableError } from "../../../shared/store/errors.ts";
import { createDynamoStore } from "../../../shared/store/index.ts";
import { verifySigV4 } from "../../support/sigv4-verify.ts";
import { createTestStore, node, type TestStore } from "./helpers.ts";

/**
 * The boot read's GetItem without the SDK's middleware (shared/store/direct-get-item.ts), against
 * DynamoDB Local through a proxy that sees every request and can answer in DynamoDB's place: what
 * it returns, how it signs, and how it retries and fails, as the SDK path does.
 */

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
}
/**
 * Answers the request itself (status, then a body, or DynamoDB's error body for `type`, or a page
 * that is not DynamoDB's) or returns undefined to forward it.
 */
type Override = (
  seen: Seen,
  index: number,
) => { status: number; type?: string; body?: string; headers?: Record<string, string> } | undefined;

async function proxy(override: Override = () => undefined) {
  const upstream = new URL(inject("dynamodbEndpoint"));
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const one: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers as Record<string, string | undefined>,
        body: Buffer.concat(chunks),
      };
      seen.push(one);
      const answer = override(one, seen.length - 1);
      if (answer !== undefined) {
        res.writeHead(answer.status, {
          "content-type": "application/x-amz-json-1.0",
          ...answer.headers,
        });
        res.end(
          answer.body !== undefined
            ? answer.body
            : answer.type === undefined
              ? "<html>not DynamoDB</html>"
              : JSON.stringify({
                  __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`,
                  message: "from the proxy",
                }),
        );
        return;
      }
      const forward = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", () => res.writeHead(502).end());
      forward.end(one.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let t: TestStore;
const MAC_KEY = { pk: "MAC#525400770001", sk: "CLAIM" };
beforeAll(async () => {
  t = await createTestStore("store-direct-get");
  await t.store.putNode(node({ id: "direct", macs: ["52:54:00:77:00:01"] }));
});

const getter = (endpoint: string, timeoutMs = 5_000) =>
  createDirectGetItem(
    createDirectCall(
      createDynamoClient({ endpoint, region: "us-east-1", timeoutMs }).config,
      timeoutMs,
    ),
    t.table,
  );
const read = (timeoutMs = 5_000) => ({ consistent: true, signal: AbortSignal.timeout(timeoutMs) });

describe("direct GetItem", () => {
  it("returns the item as DynamoDB stores it, and undefined for no item", async () => {
    const p = await proxy();
    const get = getter(p.endpoint);
    const item = await get(MAC_KEY, read());
    const { Item } = await t.raw.send(new GetCommand({ TableName: t.table, Key: MAC_KEY }));
    expect(item?.nodeId).toEqual({ S: "direct" });
    expect(item?.node).toEqual({ S: Item?.node });
    expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(Item ?? {}).sort());
    expect(await get({ pk: "MAC#000000000000", sk: "CLAIM" }, read())).toBeUndefined();
    const body = JSON.parse(p.seen[0]?.body.toString() ?? "{}") as Record<string, unknown>;
    expect(body).toEqual({
      TableName: t.table,
      Key: { pk: { S: MAC_KEY.pk }, sk: { S: "CLAIM" } },
      ConsistentRead: true,
    });
    expect(p.seen[0]?.headers["x-amz-target"]).toBe("DynamoDB_20120810.GetItem");
  });

  it("signs with SigV4 as AWS checks it: the client's credentials, region and service", async () => {
    const p = await proxy();
    await getter(p.endpoint)(MAC_KEY, read());
    const seen = p.seen[0] as Seen;
    const verdict = verifySigV4(
      seen,
      new Map([[LOCAL_CREDENTIALS.accessKeyId, LOCAL_CREDENTIALS.secretAccessKey]]),
      { region: "us-east-1", service: "dynamodb" },
      new Date(),
    );
    expect(verdict).toMatchObject({ ok: true, accessKeyId: LOCAL_CREDENTIALS.accessKeyId });
    expect(verdict.ok && verdict.signedHeaders).toEqual(
      expect.arrayContaining(["host", "x-amz-date", "x-amz-target", "content-type"]),
    );
    // A wrong secret does not verify: the check can fail.
    expect(
      verifySigV4(
        seen,
        new Map([[LOCAL_CREDENTIALS.accessKeyId, "other"]]),
        { region: "us-east-1", service: "dynamodb" },
        new Date(),
      ),
    ).toMatchObject({ ok: false });
  });

  it("takes credentials from the SDK's default chain (environment variables, as on Lambda)", async () => {
    const p = await proxy();
    const saved = { ...process.env };
    onTestFinished(() => {
      for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    });
    process.env.AWS_ACCESS_KEY_ID = "AKIDFROMENVIRONMENT";
    process.env.AWS_SECRET_ACCESS_KEY = "secret-from-the-environment";
    process.env.AWS_SESSION_TOKEN = "session-token-from-the-environment";
    // No credentials given: the SDK's chain resolves them (createDynamoClient would fix dummy
    // ones for a loopback endpoint, so the client is built as for AWS, pointed at the proxy).
    const client = new DynamoDBClient({ region: "eu-west-1", endpoint: p.endpoint });
    await createDirectGetItem(createDirectCall(client.config, 5_000), t.table)(
      MAC_KEY,
      read(),
    ).catch(() => undefined);
    const seen = p.seen[0] as Seen;
    expect(seen.headers["x-amz-security-token"]).toBe("session-token-from-the-environment");
    expect(
      verifySigV4(
        seen,
        new Map([["AKIDFROMENVIRONMENT", "secret-from-the-environment"]]),
        { region: "eu-west-1", service: "dynamodb" },
        new Date(),
      ),
    ).toMatchObject({ ok: true });
  });

  it.each([
    ["a 500", { status: 500, type: "InternalServerError" }],
    ["a throttle", { status: 400, type: "ProvisionedThroughputExceededException" }],
  ])("retries %s once and returns the item", async (_name, answer) => {
    const p = await proxy((_seen, i) => (i === 0 ? answer : undefined));
    expect((await getter(p.endpoint)(MAC_KEY, read()))?.nodeId).toEqual({ S: "direct" });
    expect(p.seen).toHaveLength(2);
  });

  it("a store that keeps failing is StoreUnavailableError after two attempts", async () => {
    const p = await proxy(() => ({ status: 503, type: "ServiceUnavailable" }));
    const error = await getter(p.endpoint)(MAC_KEY, read()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/ServiceUnavailable/);
    expect(p.seen).toHaveLength(2);
  });

  it("a request DynamoDB refuses is a StoreError, not retried", async () => {
    const p = await proxy(() => ({ status: 400, type: "ValidationException" }));
    const error = await getter(p.endpoint)(MAC_KEY, read()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/ValidationException: from the proxy/);
    expect(p.seen).toHaveLength(1);
  });

  it("a missing table is StoreUnavailableError naming it", async () => {
    const client = createDynamoClient({
      endpoint: inject("dynamodbEndpoint"),
      region: "us-east-1",
      timeoutMs: 2_000,
    });
    const error = await createDirectGetItem(
      createDirectCall(client.config, 2_000),
      "no-such-table",
    )(MAC_KEY, read()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/table not found/);
  });

  it("something that is not DynamoDB answering is StoreUnavailableError pointing at store.endpoint", async () => {
    const p = await proxy(() => ({ status: 200 }));
    const error = await getter(p.endpoint)(MAC_KEY, read()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/check store.endpoint/);
  });

  it("a clock off by an hour is corrected from the answer's Date, as the SDK does", async () => {
    const serverTime = new Date(Date.now() + 3_600_000);
    const p = await proxy((_seen, i) =>
      i === 0
        ? {
            status: 400,
            type: "InvalidSignatureException",
            headers: { date: serverTime.toUTCString() },
          }
        : undefined,
    );
    expect((await getter(p.endpoint)(MAC_KEY, read()))?.nodeId).toEqual({ S: "direct" });
    expect(p.seen).toHaveLength(2);
    const stamp = p.seen[1]?.headers["x-amz-date"] ?? "";
    const signedAt = Date.parse(
      `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
    );
    expect(Math.abs(signedAt - serverTime.getTime())).toBeLessThan(10_000);
  });

  it("an answer cut off mid-body is StoreUnavailableError (unreachable), retried once", async () => {
    let requests = 0;
    const cutting = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "content-length": "500" });
      res.write('{"Item":{"nodeId":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => cutting.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      cutting.closeAllConnections();
      cutting.close();
    });
    const endpoint = `http://127.0.0.1:${(cutting.address() as AddressInfo).port}`;
    const error = await getter(endpoint)(MAC_KEY, read()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/DynamoDB could not be reached/);
    expect(requests).toBe(2);
  });

  it("stops at its signal: a silent store fails within the budget", async () => {
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const started = performance.now();
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const error = await getter(endpoint, 600)(MAC_KEY, read(600)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/did not answer within 600 ms/);
    expect(performance.now() - started).toBeLessThan(600 * 1.2 + 150);
  });
});

describe("direct BatchWriteItem (boot history)", () => {
  const records = (n: number): BootRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      at: new Date(Date.UTC(2031, 0, 1, 0, 0, i)).toISOString(),
      node: "direct",
      attempt: i,
      outcome: "boot",
      url_mode: "artifacts",
    }));
  /** DynamoDB's answer handing every item of the request back as unprocessed. */
  const allUnprocessed = (seen: Seen) => ({
    status: 200,
    body: JSON.stringify({
      UnprocessedItems: (JSON.parse(seen.body.toString()) as { RequestItems: unknown })
        .RequestItems,
    }),
  });

  it("sends items handed back unprocessed again, and writes every record once", async () => {
    const t2 = await createTestStore("store-direct-batch");
    const p = await proxy((seen, i) => (i === 0 ? allUnprocessed(seen) : undefined));
    const store = createDynamoStore({
      table: t2.table,
      endpoint: p.endpoint,
      region: "us-east-1",
      timeoutMs: 5_000,
    });
    await store.recordBoots(records(10), 3600);
    expect(p.seen.map((s) => s.headers["x-amz-target"])).toEqual([
      "DynamoDB_20120810.BatchWriteItem",
      "DynamoDB_20120810.BatchWriteItem",
    ]);
    expect(p.seen[1]?.body.toString()).toBe(p.seen[0]?.body.toString());
    const page = await t2.store.listBoots("direct", { limit: 100 });
    expect(page.items.map((b) => b.attempt).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it("gives up on items DynamoDB keeps handing back, saying how many, after a few rounds", async () => {
    const p = await proxy((seen) => allUnprocessed(seen));
    const store = createDynamoStore({
      table: t.table,
      endpoint: p.endpoint,
      region: "us-east-1",
      timeoutMs: 5_000,
    });
    const error = await store.recordBoots(records(10), 3600).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/left 10 of 10 boot records unprocessed/);
    expect(p.seen).toHaveLength(4);
  });

  it("an answer it cannot read is StoreUnavailableError, never a crash", async () => {
    const p = await proxy(() => ({ status: 200, body: '{"UnprocessedItems":{"x":5}}' }));
    const store = createDynamoStore({
      table: "x",
      endpoint: p.endpoint,
      region: "us-east-1",
      timeoutMs: 5_000,
    });
    const error = await store.recordBoots(records(2), 3600).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });
});

describe("resolveEndpoint", () => {
  it("is the configured endpoint when there is one, else the region's, as the SDK resolves it", async () => {
    expect(
      await resolveEndpoint(
        createDynamoClient({
          endpoint: "http://127.0.0.1:8123",
          region: "us-east-1",
          timeoutMs: 1_000,
        }).config,
      ),
    ).toMatchObject({ protocol: "http:", hostname: "127.0.0.1", port: 8123, path: "/" });
    expect(
      await resolveEndpoint(createDynamoClient({ region: "eu-west-1", timeoutMs: 1_000 }).config),
    ).toEqual({ protocol: "https:", hostname: "dynamodb.eu-west-1.amazonaws.com", path: "/" });
    expect(
      await resolveEndpoint(createDynamoClient({ region: "cn-north-1", timeoutMs: 1_000 }).config),
    ).toEqual({ protocol: "https:", hostname: "dynamodb.cn-north-1.amazonaws.com.cn", path: "/" });
  });
});
