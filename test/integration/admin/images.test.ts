import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminFixture, image, nodeBody, startAdmin } from "./helpers.ts";

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-images");
});
afterAll(() => t?.close());

describe("PUT /v1/images/{id}", () => {
  it("creates (201, Location, ETag), replaces (200, next ETag) and normalises", async () => {
    const body = image("ipa-kernel", { sha256: "AB".repeat(32), size: 42 });
    const created = await t.call("PUT", "/v1/images/ipa-kernel", { body });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/images/ipa-kernel");
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.headers.get("content-type")).toMatch(/^application\/json/);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(created.body).toEqual({ ...body, sha256: "ab".repeat(32) });
    const replaced = await t.call("PUT", "/v1/images/ipa-kernel", {
      body: { ...body, name: "Renamed" },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get("etag")).toBe('"2"');
    expect((await t.store.getImage("ipa-kernel"))?.name).toBe("Renamed");
  });

  it("refuses invalid bodies with 400 problem+json naming each field, writing nothing", async () => {
    const res = await t.call("PUT", "/v1/images/bad", {
      body: {
        id: "bad",
        name: "",
        swift: { object: "/abs", extra: 2 },
        origin: "ftp://x",
        extra: 1,
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:swiftboot:problem:validation", status: 400 });
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(["name", "swift.object", "swift.extra", "origin", "extra"]),
    );
    expect(paths).not.toContain("(root)");
    expect(await t.store.getImage("bad")).toBeUndefined();
  });

  it("refuses a body whose id is not the path's", async () => {
    const res = await t.call("PUT", "/v1/images/one", { body: image("two") });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "id", message: "must be one, the id in the path" }]);
  });

  it("If-Match: the current version writes, another is 412, * needs the image to exist", async () => {
    await t.call("PUT", "/v1/images/cond", { body: image("cond") });
    const stale = await t.call("PUT", "/v1/images/cond", {
      body: image("cond", { name: "x" }),
      headers: { "if-match": '"7"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.type).toBe("urn:swiftboot:problem:precondition-failed");
    const ok = await t.call("PUT", "/v1/images/cond", {
      body: image("cond", { name: "y" }),
      headers: { "if-match": '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).toBe('"2"');
    const any = await t.call("PUT", "/v1/images/cond", {
      body: image("cond"),
      headers: { "if-match": "*" },
    });
    expect(any.status).toBe(200);
    const missing = await t.call("PUT", "/v1/images/nope", {
      body: image("nope"),
      headers: { "if-match": "*" },
    });
    expect(missing.status).toBe(412);
    expect(await t.store.getImage("nope")).toBeUndefined();
    const garbage = await t.call("PUT", "/v1/images/cond", {
      body: image("cond"),
      headers: { "if-match": "yesterday" },
    });
    expect(garbage.status).toBe(400);
    expect(garbage.body.errors).toEqual([
      { path: "If-Match", message: 'must be one ETag such as "3", or *' },
    ]);
  });
});

describe("GET /v1/images", () => {
  it("gets one with its ETag, 404 problem for a missing one", async () => {
    await t.call("PUT", "/v1/images/get-me", { body: image("get-me") });
    const res = await t.call("GET", "/v1/images/get-me");
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.body).toEqual(image("get-me"));
    const missing = await t.call("GET", "/v1/images/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ type: "urn:swiftboot:problem:not-found", status: 404 });
    expect((await t.call("GET", "/v1/images/has%20space")).status).toBe(404);
  });

  it("lists by id across pages with an opaque cursor", async () => {
    const fresh = await startAdmin("admin-images-list");
    try {
      const ids = Array.from({ length: 25 }, (_, i) => `img-${String(i).padStart(2, "0")}`);
      await Promise.all(ids.map((id) => fresh.store.putImage(image(id))));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await fresh.call(
          "GET",
          `/v1/images?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        expect(res.status).toBe(200);
        seen.push(...(res.body.items ?? []).map((i) => String(i.id)));
        cursor = res.body.next_cursor as string | undefined;
        pages++;
      } while (cursor !== undefined);
      expect(seen).toEqual(ids);
      expect(pages).toBe(3);
    } finally {
      await fresh.close();
    }
  });

  it("refuses bad paging parameters", async () => {
    for (const query of ["limit=0", "limit=1001", "limit=ten", "cursor=%21%21", "colour=red"]) {
      const res = await t.call("GET", `/v1/images?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.type).toBe("urn:swiftboot:problem:validation");
    }
  });
});

describe("DELETE /v1/images/{id}", () => {
  it("is refused with 409 while nodes use the image, naming them; works once they let go", async () => {
    for (const id of ["k", "r"]) await t.call("PUT", `/v1/images/${id}`, { body: image(id) });
    for (const [id, mac] of [
      ["user-1", "02:00:00:00:1a:01"],
      ["user-2", "02:00:00:00:1a:02"],
    ] as const) {
      const res = await t.call("PUT", `/v1/nodes/${id}`, {
        body: nodeBody(id, mac, { deploy: { kernel: "k", ramdisk: "r" } }),
      });
      expect(res.status).toBe(201);
    }
    const refused = await t.call("DELETE", "/v1/images/k");
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: "urn:swiftboot:problem:image-in-use",
      nodes: ["user-1", "user-2"],
      more: false,
    });
    expect(await t.store.getImage("k")).toBeDefined();
    // One node drops the image (PATCH), the other is deleted: then it can go.
    expect((await t.call("PATCH", "/v1/nodes/user-1", { body: { deploy: null } })).status).toBe(
      200,
    );
    expect((await t.call("DELETE", "/v1/images/k")).body.nodes).toEqual(["user-2"]);
    expect((await t.call("DELETE", "/v1/nodes/user-2")).status).toBe(204);
    expect((await t.call("DELETE", "/v1/images/k")).status).toBe(204);
    expect(await t.store.getImage("k")).toBeUndefined();
    expect((await t.call("DELETE", "/v1/images/k")).status).toBe(404);
  });

  it("honours If-Match", async () => {
    await t.call("PUT", "/v1/images/del-cond", { body: image("del-cond") });
    const stale = await t.call("DELETE", "/v1/images/del-cond", { headers: { "if-match": '"9"' } });
    expect(stale.status).toBe(412);
    const ok = await t.call("DELETE", "/v1/images/del-cond", { headers: { "if-match": '"1"' } });
    expect(ok.status).toBe(204);
  });

  it("a node starting to use the image while it is deleted: exactly one of them wins", async () => {
    for (let round = 0; round < 5; round++) {
      const img = `race-${round}`;
      await t.store.putImage(image(img));
      const [del, put] = await Promise.all([
        t.call("DELETE", `/v1/images/${img}`),
        t.call("PUT", `/v1/nodes/racer-${round}`, {
          body: nodeBody(`racer-${round}`, `02:00:00:00:1b:0${round}`, {
            deploy: { kernel: img, ramdisk: img },
          }),
        }),
      ]);
      const imageLeft = (await t.store.getImage(img)) !== undefined;
      const nodeLeft = (await t.store.getNode(`racer-${round}`)) !== undefined;
      // Never a node pointing at a deleted image.
      if (nodeLeft) expect(imageLeft).toBe(true);
      if (nodeLeft) expect([del.status, put.status]).toEqual([409, 201]);
      else {
        expect(del.status).toBe(204);
        expect([400, 409]).toContain(put.status);
      }
    }
  });
});
