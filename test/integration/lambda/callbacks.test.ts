import { generateKeyPairSync } from "node:crypto";
import { GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SAMPLE_ARTIFACT_KEY, SAMPLE_STATE_ID } from "../../../events/fixtures.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { invokeBundle } from "./invoke.ts";
import { seedSampleTable } from "./seed.ts";

/**
 * The callbacks bundle as the deployed stack runs it: behind the front's `/v1/callbacks/*`
 * behaviour, on an auth-NONE Function URL, with the environment infra/stack.ts gives it (no
 * `front.viewer_headers`: its URL is open, so headers a caller sets are not believed). The events
 * (events/front-callback-*.json) are a busybox `wget --post-data status=done` as CloudFront
 * delivers it: no IAM caller, the body base64-encoded.
 */
let bundle: string;
let db: TestStore;
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const NODE_KEY = { pk: "NODE#sample-node", sk: "NODE" };

beforeAll(async () => {
  let bundles: Record<string, string>;
  [bundles, db] = await Promise.all([
    buildForTest("callbacks"),
    seedSampleTable("lambda-callbacks"),
  ]);
  bundle = bundles.callbacks as string;
  // The stay in deploying the events' URL was issued for (the store drew another at seeding).
  await db.raw.send(
    new UpdateCommand({
      TableName: db.table,
      Key: NODE_KEY,
      UpdateExpression: "SET state_id = :id",
      ExpressionAttributeValues: { ":id": SAMPLE_STATE_ID },
    }),
  );
});

afterAll(() => removeTestBuilds());

function callbacksEnv(): Record<string, string> {
  return {
    SWIFTBOOT_STORE_TABLE: db.table,
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    SWIFTBOOT_STORE_REGION: "us-east-1",
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
    SWIFTBOOT_FRONT_KEY_PAIR_ID: "K3TESTFRONTKEY",
    SWIFTBOOT_FRONT_PRIVATE_KEY: pair.privateKey
      .export({ type: "pkcs1", format: "pem" })
      .toString(),
  };
}

async function nodeItem(): Promise<Record<string, unknown>> {
  const { Item } = await db.raw.send(
    new GetCommand({ TableName: db.table, Key: NODE_KEY, ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error("sample-node is gone");
  return Item;
}

async function history(): Promise<Record<string, unknown>[]> {
  const { Items } = await db.raw.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :boot)",
      ExpressionAttributeValues: { ":pk": NODE_KEY.pk, ":boot": "BOOT#" },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

describe("callbacks bundle behind the front", () => {
  it("refuses a forged URL and writes nothing, then applies the machine's done once", async () => {
    const before = await nodeItem();
    expect(before).toMatchObject({ state: "deploying", state_id: SAMPLE_STATE_ID });

    const forged = await invokeBundle(bundle, [loadEvent("front-callback-forged")], callbacksEnv());
    const refused = forged.results[0]?.result;
    expect(refused?.statusCode).toBe(403);
    expect(refused?.body).toContain("bad signature");
    expect(await nodeItem()).toEqual(before);
    expect(await history()).toEqual([]);

    const { results, logs } = await invokeBundle(
      bundle,
      [loadEvent("front-callback-done"), loadEvent("front-callback-done")],
      callbacksEnv(),
    );
    const [applied, again] = results.map((r) => r.result);
    expect(applied?.statusCode).toBe(200);
    expect(JSON.parse(applied?.body ?? "")).toMatchObject({
      result: "applied",
      node: "sample-node",
      from: "deploying",
      to: "active",
    });
    expect(applied?.headers?.["cache-control"]).toBe("no-store");
    // The same report again: 200, nothing changes.
    expect(again?.statusCode).toBe(200);
    expect(JSON.parse(again?.body ?? "")).toMatchObject({ result: "unchanged" });

    const after = await nodeItem();
    expect(after).toMatchObject({
      state: "active",
      last_report: { status: "done", state: "deploying", state_id: SAMPLE_STATE_ID },
    });
    expect(after.version).toBe((before.version as number) + 1);
    const records = await history();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "report-done", state: "deploying" });

    const requests = logs.filter((l) => l.msg === "request");
    expect(requests[0]).toMatchObject({
      status: 200,
      node: "sample-node",
      outcome: "report-applied",
      from: "deploying",
      to: "active",
    });
  });

  it("serves the callback route alone", async () => {
    const boot = loadEvent("front-boot-first-stage");
    const { body: _body, ...get } = loadEvent("front-callback-done") as {
      body: string;
      isBase64Encoded: boolean;
      requestContext: { http: { method: string } };
    };
    get.requestContext.http.method = "GET";
    get.isBase64Encoded = false;
    const { results } = await invokeBundle(bundle, [boot, get], callbacksEnv());
    const [script, read] = results.map((r) => r.result);
    expect(script?.statusCode).toBe(404);
    expect(script?.body).not.toContain("#!ipxe");
    // A callback URL cannot read anything: POST only.
    expect(read?.statusCode).toBe(405);
    expect(read?.headers?.allow).toBe("POST");
  });
});
