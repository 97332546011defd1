import { describe, expect, it } from "vitest";
import { adminTestApp } from "../../test/support/admin-app.ts";
import { MemoryStore } from "../../test/support/store/index.ts";

/** Answers a person meets on a first day: what HEAD, odd paths and odd enrolments get. */

const KERNEL = { id: "k", name: "Kernel", swift: { object: "k" } };
const RAMDISK = { id: "r", name: "Ramdisk", swift: { object: "r" } };
const nodeBody = (extra: Record<string, unknown>) => ({
  id: "n1",
  name: "n1",
  macs: ["52:54:00:12:34:56"],
  state: "deploying",
  deploy: { kernel: "k", ramdisk: "r" },
  ...extra,
});

async function withNode() {
  const store = new MemoryStore();
  const t = await adminTestApp(store);
  for (const image of [KERNEL, RAMDISK]) {
    expect((await t.call("PUT", `/v1/images/${image.id}`, { body: image })).status).toBe(201);
  }
  expect((await t.call("PUT", "/v1/nodes/n1", { body: nodeBody({}) })).status).toBe(201);
  return { store, ...t };
}

describe("boot scripts", () => {
  it("HEAD of a node's script records no boot; GET does", async () => {
    const { store, app } = await withNode();
    const head = await app.request("/boot/52-54-00-12-34-56.ipxe", { method: "HEAD" });
    expect(head.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect((await store.listBoots("n1", { limit: 10 })).items).toEqual([]);
    await (await app.request("/boot/52-54-00-12-34-56.ipxe")).text();
    for (
      let i = 0;
      i < 50 && (await store.listBoots("n1", { limit: 10 })).items.length === 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await store.listBoots("n1", { limit: 10 })).items).toHaveLength(1);
  });

  it("clamps an attempt beyond ipxe.retries to the last attempt", async () => {
    const { app } = await withNode();
    const text = await (await app.request("/boot/52-54-00-12-34-56.ipxe?attempt=7")).text();
    expect(text).toContain("(attempt 4 of 4)");
    expect(text).not.toContain("attempt=8");
    expect(text).not.toContain("goto retry");
  });
});

describe("/v1", () => {
  it("answers an unknown path with problem+json 404", async () => {
    const { call } = await withNode();
    for (const path of ["/v1/nope", "/v1/nodes/n1/nope/deeper", "/v1"]) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toBe("application/problem+json");
      expect(res.json, path).toMatchObject({ type: "urn:swiftboot:problem:not-found" });
    }
  });
});

describe("enrolment", () => {
  it.each([
    ["the all-zero MAC", { macs: ["00:00:00:00:00:00"] }, "macs.0", /all-zero MAC/],
    [
      "the broadcast MAC",
      { macs: ["52:54:00:00:00:01", "FF-FF-FF-FF-FF-FF"] },
      "macs.1",
      /broadcast/,
    ],
    ["the all-zero UUID", { uuid: "00000000-0000-0000-0000-000000000000" }, "uuid", /placeholder/],
    ["the all-f UUID", { uuid: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" }, "uuid", /placeholder/],
  ])("refuses %s, naming the field", async (_what, extra, path, message) => {
    const { call } = await withNode();
    const res = await call("PUT", "/v1/nodes/n2", { body: { ...nodeBody(extra), id: "n2" } });
    expect(res.status).toBe(400);
    const errors = res.json.errors as { path: string; message: string }[];
    expect(errors.find((e) => e.path === path)?.message).toMatch(message);
  });
});

describe("PUT of the same record", () => {
  it("writes nothing and keeps the version (ETag), for nodes and images", async () => {
    const { call } = await withNode();
    const node = await call("PUT", "/v1/nodes/n1", { body: nodeBody({}) });
    expect(node.status).toBe(200);
    expect(node.headers.get("etag")).toBe('"1"');
    const image = await call("PUT", "/v1/images/k", { body: KERNEL });
    expect(image.headers.get("etag")).toBe('"1"');
    const stale = await call("PUT", "/v1/images/k", {
      body: KERNEL,
      headers: { "if-match": '"7"' },
    });
    expect(stale.status).toBe(412);
    const changed = await call("PUT", "/v1/nodes/n1", { body: nodeBody({ kernel_args: "quiet" }) });
    expect(changed.headers.get("etag")).toBe('"2"');
  });
});
