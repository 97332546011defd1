import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimProblems } from "../store/helpers.ts";
import { type AdminFixture, image, nodeBody, startAdmin } from "./helpers.ts";

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-nodes");
  for (const id of ["k", "r", "k2"]) await t.store.putImage(image(id));
});
afterAll(() => t?.close());

describe("PUT /v1/nodes/{id}", () => {
  it("creates a node in any state, normalising MACs and UUID; replaces it keeping the state", async () => {
    const body = nodeBody("n1", "52-54-00-AB-CD-01", {
      uuid: "4C4C4544-0042-3510-8052-B4C04F384D32",
      state: "deploying",
      deploy: { kernel: "k", ramdisk: "r" },
    });
    const created = await t.call("PUT", "/v1/nodes/n1", { body });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("location")).toBe("/v1/nodes/n1");
    expect(created.body).toMatchObject({
      macs: ["52:54:00:ab:cd:01"],
      uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
      state: "deploying",
    });
    const replaced = await t.call("PUT", "/v1/nodes/n1", {
      body: { ...body, name: "renamed", kernel_args: "ipa-debug=1" },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get("etag")).toBe('"2"');
    expect(await t.store.getNode("n1")).toMatchObject({
      name: "renamed",
      kernel_args: "ipa-debug=1",
    });
  });

  it("refuses a state change by PUT with 409, pointing at the actions", async () => {
    const res = await t.call("PUT", "/v1/nodes/n1", {
      body: nodeBody("n1", "52:54:00:ab:cd:01", { state: "active" }),
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      type: "urn:swiftboot:problem:state-change",
      state: "deploying",
      allowed: expect.arrayContaining([{ action: "done", to: "active" }]),
      errors: [{ path: "state", message: "must stay deploying; use an action" }],
    });
    expect((await t.store.getNode("n1"))?.state).toBe("deploying");
  });

  it("names every invalid field (400) and writes nothing", async () => {
    const res = await t.call("PUT", "/v1/nodes/bad", {
      body: {
        id: "bad",
        name: "x\ny",
        macs: ["52:54:00:ab:cd:0z", "52:54:00:ab:cd:02", "525400abcd02"],
        state: "exploded",
        kernel_args: "a ${evil}",
        instance: { boot: "netboot" },
        colour: "red",
      },
    });
    expect(res.status).toBe(400);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(["name", "macs.0", "state", "kernel_args", "colour"]),
    );
    expect(paths).not.toContain("(root)");
    expect(await t.store.getNode("bad")).toBeUndefined();
  });

  it("refuses references to images that do not exist, naming the fields", async () => {
    const res = await t.call("PUT", "/v1/nodes/no-img", {
      body: nodeBody("no-img", "02:00:00:00:2a:01", {
        deploy: { kernel: "k", ramdisk: "ghost" },
        arch_images: { arm64: { rescue: { kernel: "ghost2", ramdisk: "r" } } },
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: "deploy.ramdisk", message: 'unknown image "ghost"' },
      { path: "arch_images.arm64.rescue.kernel", message: 'unknown image "ghost2"' },
    ]);
    expect(await t.store.getNode("no-img")).toBeUndefined();
  });

  it("refuses another node's MAC or UUID with 409 naming that node", async () => {
    const mac = await t.call("PUT", "/v1/nodes/thief", {
      body: nodeBody("thief", "02:00:00:00:2b:01", {
        macs: ["02:00:00:00:2b:01", "52:54:00:ab:cd:01"],
      }),
    });
    expect(mac.status).toBe(409);
    expect(mac.body).toMatchObject({
      type: "urn:swiftboot:problem:identity-conflict",
      detail: "MAC 52:54:00:ab:cd:01 already belongs to node n1",
      conflict: { kind: "mac", value: "52:54:00:ab:cd:01", node: "n1" },
    });
    const uuid = await t.call("PUT", "/v1/nodes/thief", {
      body: nodeBody("thief", "02:00:00:00:2b:01", {
        uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
      }),
    });
    expect(uuid.status).toBe(409);
    expect(uuid.body.errors).toEqual([{ path: "uuid", message: expect.stringContaining("n1") }]);
    expect(await t.store.getNode("thief")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:2b:01")).toBeUndefined();
  });

  it("refuses an id that differs from the path's, and bodies that are not JSON", async () => {
    expect(
      (await t.call("PUT", "/v1/nodes/a", { body: nodeBody("b", "02:00:00:00:2c:01") })).status,
    ).toBe(400);
    const broken = await t.call("PUT", "/v1/nodes/a", { body: "{not json" });
    expect(broken.status).toBe(400);
    expect(broken.body.type).toBe("urn:swiftboot:problem:invalid-json");
    const text = await t.call("PUT", "/v1/nodes/a", {
      body: "id=a",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("PATCH /v1/nodes/{id}", () => {
  it("merges the patch, removes null fields, and bumps the ETag", async () => {
    await t.call("PUT", "/v1/nodes/p1", {
      body: nodeBody("p1", "02:00:00:00:2d:01", {
        uuid: "11111111-2222-3333-4444-555555555555",
        kernel_args: "a=1",
        rescue: { kernel: "k", ramdisk: "r" },
      }),
    });
    const res = await t.call("PATCH", "/v1/nodes/p1", {
      body: { name: "patched", uuid: null, rescue: { kernel: "k2" }, macs: ["02-00-00-00-2D-02"] },
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"2"');
    expect(res.body).toEqual({
      state_id: expect.any(String),
      id: "p1",
      name: "patched",
      macs: ["02:00:00:00:2d:02"],
      state: "enroll",
      kernel_args: "a=1",
      rescue: { kernel: "k2", ramdisk: "r" },
    });
    expect(await t.store.findNodeByUuid("11111111-2222-3333-4444-555555555555")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:2d:01")).toBeUndefined();
    expect((await t.store.findNodeByMac("02:00:00:00:2d:02"))?.id).toBe("p1");
  });

  it("refuses changes of id and state, invalid results and stale If-Match", async () => {
    expect((await t.call("PATCH", "/v1/nodes/p1", { body: { id: "other" } })).status).toBe(400);
    const state = await t.call("PATCH", "/v1/nodes/p1", { body: { state: "active" } });
    expect(state.status).toBe(409);
    expect(state.body.type).toBe("urn:swiftboot:problem:state-change");
    // The same state is no change.
    expect((await t.call("PATCH", "/v1/nodes/p1", { body: { state: "enroll" } })).status).toBe(200);
    const invalid = await t.call("PATCH", "/v1/nodes/p1", { body: { macs: [], name: null } });
    expect(invalid.status).toBe(400);
    expect((invalid.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "macs",
      "name",
    ]);
    const stale = await t.call("PATCH", "/v1/nodes/p1", {
      body: { name: "x" },
      headers: { "if-match": '"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await t.call("PATCH", "/v1/nodes/nobody", { body: { name: "x" } })).status).toBe(404);
    expect((await t.call("PATCH", "/v1/nodes/p1", { body: [1, 2] })).status).toBe(400);
  });
});

describe("GET /v1/nodes", () => {
  it("gets one with its ETag; 404 problem for a missing one", async () => {
    const res = await t.call("GET", "/v1/nodes/n1");
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"2"');
    expect(res.body.id).toBe("n1");
    expect((await t.call("GET", "/v1/nodes/missing")).status).toBe(404);
  });

  it("finds a node by MAC (any form) or UUID, and filters by state", async () => {
    for (const mac of ["52:54:00:ab:cd:01", "52-54-00-AB-CD-01", "525400abcd01"]) {
      const res = await t.call("GET", `/v1/nodes?mac=${mac}`);
      expect(res.body.items?.map((n) => n.id)).toEqual(["n1"]);
      expect(res.body.next_cursor).toBeUndefined();
    }
    const byUuid = await t.call("GET", "/v1/nodes?uuid=4C4C4544-0042-3510-8052-B4C04F384D32");
    expect(byUuid.body.items?.map((n) => n.id)).toEqual(["n1"]);
    expect(
      (await t.call("GET", "/v1/nodes?mac=52:54:00:ab:cd:01&state=active")).body.items,
    ).toEqual([]);
    expect(
      (
        await t.call(
          "GET",
          "/v1/nodes?mac=52:54:00:ab:cd:01&uuid=11111111-2222-3333-4444-555555555555",
        )
      ).body.items,
    ).toEqual([]);
    expect((await t.call("GET", "/v1/nodes?mac=02:00:00:00:99:99")).body.items).toEqual([]);
    const bad = await t.call("GET", "/v1/nodes?mac=zz&uuid=nope");
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path)).toEqual(["mac", "uuid"]);
    const deploying = await t.call("GET", "/v1/nodes?state=deploying");
    expect(deploying.body.items?.map((n) => n.id)).toEqual(["n1"]);
    expect((await t.call("GET", "/v1/nodes?state=exploded")).status).toBe(400);
  });
});

describe("DELETE /v1/nodes/{id}", () => {
  it("deletes (204) releasing MACs and UUID, honours If-Match, 404 when gone", async () => {
    await t.call("PUT", "/v1/nodes/d1", {
      body: nodeBody("d1", "02:00:00:00:2e:01", { uuid: "22222222-2222-2222-2222-222222222222" }),
    });
    expect(
      (await t.call("DELETE", "/v1/nodes/d1", { headers: { "if-match": '"5"' } })).status,
    ).toBe(412);
    expect(
      (await t.call("DELETE", "/v1/nodes/d1", { headers: { "if-match": '"1"' } })).status,
    ).toBe(204);
    expect((await t.call("DELETE", "/v1/nodes/d1")).status).toBe(404);
    expect(await t.store.findNodeByMac("02:00:00:00:2e:01")).toBeUndefined();
    const reuse = await t.call("PUT", "/v1/nodes/d2", {
      body: nodeBody("d2", "02:00:00:00:2e:01", { uuid: "22222222-2222-2222-2222-222222222222" }),
    });
    expect(reuse.status).toBe(201);
  });

  it("leaves the claims invariant intact", async () => {
    expect(await claimProblems(t.db)).toEqual([]);
  });
});
