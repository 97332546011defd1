import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ProvisionState } from "../../../shared/model/index.ts";
import { createDynamoStore } from "../../../shared/store/index.ts";
import { node } from "../store/helpers.ts";
import { type AdminFixture, startAdmin } from "./helpers.ts";

const COUNT = 3_000;
const STATES: ProvisionState[] = ["enroll", "available", "active", "error"];
const stateOf = (i: number) => STATES[i % STATES.length] as ProvisionState;
const idOf = (i: number) => `node-${String(i).padStart(5, "0")}`;
const macOf = (i: number) =>
  `02:00:${[(i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x5a].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-pages");
  // Through the store, each a real putNode transaction. DynamoDB Local runs transactions one at a
  // time (about 150 a second), so a few in flight are as fast as many, and a seeding store with a
  // generous time budget keeps a busy machine (other test files) from failing the setup.
  const seeder = createDynamoStore({
    table: t.db.table,
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    timeoutMs: 30_000,
  });
  const ids = Array.from({ length: COUNT }, (_, i) => i);
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids
        .slice(i, i + 25)
        .map((n) => seeder.putNode(node({ id: idOf(n), macs: [macOf(n)], state: stateOf(n) }))),
    );
  }
  seeder.client.destroy();
}, 180_000);
afterAll(() => t?.close());

/** Every page of a listing; the ids in order of arrival, and how many pages it took. */
async function walk(
  query: string,
): Promise<{ ids: string[]; pages: number; states: Set<unknown> }> {
  const ids: string[] = [];
  const states = new Set<unknown>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await t.call(
      "GET",
      `/v1/nodes?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(res.status).toBe(200);
    for (const item of res.body.items ?? []) {
      ids.push(String(item.id));
      states.add(item.state);
    }
    cursor = res.body.next_cursor as string | undefined;
    pages++;
  } while (cursor !== undefined && pages < 1_000);
  return { ids, pages, states };
}

describe("GET /v1/nodes pagination over 3,000 nodes", () => {
  it("walks every page of the full listing, seeing each node exactly once", async () => {
    const { ids, pages } = await walk("limit=250");
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
    expect(pages).toBeGreaterThanOrEqual(12);
    expect(pages).toBeLessThanOrEqual(13);
  });

  it("with the default page size (100) and with the largest (1000)", async () => {
    const small = await walk("");
    expect(new Set(small.ids).size).toBe(COUNT);
    expect(small.ids).toHaveLength(COUNT);
    const large = await walk("limit=1000");
    expect(large.ids).toHaveLength(COUNT);
    expect(large.pages).toBeLessThanOrEqual(4);
  });

  it("filtered by state: only that state's nodes, each once", async () => {
    const { ids, states } = await walk("state=available&limit=97");
    const expected = Array.from({ length: COUNT }, (_, i) => i)
      .filter((i) => stateOf(i) === "available")
      .map(idOf);
    expect([...states]).toEqual(["available"]);
    expect(ids.slice().sort()).toEqual(expected);
    expect((await walk("state=rescue")).ids).toEqual([]);
  });

  it("a node that changes state drops out of its old state's listing", async () => {
    const id = idOf(1); // available
    expect((await t.call("POST", `/v1/nodes/${id}/actions/deploy`)).status).toBe(200);
    const available = await walk("state=available&limit=1000");
    const deploying = await walk("state=deploying");
    expect(available.ids).not.toContain(id);
    expect(deploying.ids).toEqual([id]);
  });

  it("refuses a cursor from another listing, or a forged one", async () => {
    const first = await t.call("GET", "/v1/nodes?state=active&limit=5");
    const cursor = encodeURIComponent(String(first.body.next_cursor));
    const other = await t.call("GET", `/v1/nodes?state=error&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.body.errors).toEqual([
      { path: "cursor", message: "belongs to a listing with other filters" },
    ]);
    for (const forged of ["abc", btoa('{"s":null,"p":999}'), btoa('{"s":null,"p":0,"k":""}')]) {
      const res = await t.call("GET", `/v1/nodes?cursor=${encodeURIComponent(forged)}`);
      expect(res.status, forged).toBe(400);
    }
  });
});
