import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  SAMPLE_ADMIN_TOKENS_ENTRY,
  SAMPLE_ARTIFACT_KEY,
  sampleNode,
} from "../../../events/fixtures.ts";
import type { TestStore } from "../store/helpers.ts";
import { buildForTest, loadEvent, removeTestBuilds } from "./bundles.ts";
import { invokeBundle, invokeStreamedText } from "./invoke.ts";
import { seedSampleTable } from "./seed.ts";

/** The admin bundle with the sample admin events; boot and artifacts never serve the admin API. */
let bundles: Record<string, string>;
let db: TestStore;

beforeAll(async () => {
  [bundles, db] = await Promise.all([
    buildForTest("admin", "boot"),
    seedSampleTable("lambda-admin"),
  ]);
});

const env = () => ({
  SWIFTBOOT_STORE_TABLE: db.table,
  SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
  SWIFTBOOT_STORE_REGION: "us-east-1",
  SWIFTBOOT_ARTIFACTS_SIGNING_KEY: SAMPLE_ARTIFACT_KEY,
  SWIFTBOOT_ADMIN_TOKENS: SAMPLE_ADMIN_TOKENS_ENTRY,
});

describe("admin bundle, invoked with the sample events", () => {
  it("lists nodes and creates an image", async () => {
    const { results } = await invokeBundle(
      bundles.admin as string,
      [loadEvent("admin-list-nodes"), loadEvent("admin-put-image"), loadEvent("admin-put-image")],
      env(),
    );
    const [list, created, replaced] = results.map((r) => r.result);
    expect(list?.statusCode).toBe(200);
    expect(list?.headers?.["content-type"]).toMatch(/^application\/json/);
    const page = JSON.parse(list?.body ?? "{}") as { items: { id: string }[] };
    expect(page.items.map((n) => n.id)).toEqual([sampleNode.id]);
    expect(created?.statusCode).toBe(201);
    expect(created?.headers?.etag).toBe('"1"');
    expect(replaced?.statusCode).toBe(200);
    expect(await db.store.getImage("sample-rescue-kernel")).toMatchObject({
      name: "sample rescue kernel",
    });
  });

  it("refuses a request without a token", async () => {
    const event = loadEvent("admin-list-nodes") as { headers: Record<string, string> };
    delete event.headers.authorization;
    const { results } = await invokeBundle(bundles.admin as string, [event], env());
    expect(results[0]?.result.statusCode).toBe(401);
  });

  it("is not served by the boot function, whose URL is open, even with tokens configured", async () => {
    const { results } = await invokeStreamedText(
      bundles.boot as string,
      [loadEvent("admin-list-nodes")],
      env(),
    );
    expect(results[0]?.result.statusCode).toBe(404);
    expect(results[0]?.result.body).not.toContain(sampleNode.id);
  });
});

afterAll(() => removeTestBuilds());
