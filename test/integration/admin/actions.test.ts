import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminFixture, nodeBody, startAdmin } from "./helpers.ts";

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-actions");
});
afterAll(() => t?.close());

const act = (id: string, action: string, headers: Record<string, string> = {}) =>
  t.call("POST", `/v1/nodes/${id}/actions/${action}`, { headers });

describe("POST /v1/nodes/{id}/actions/{action}", () => {
  it("walks a node from enroll to active and through rescue and deletion back to available", async () => {
    await t.call("PUT", "/v1/nodes/life", { body: nodeBody("life", "02:00:00:00:3a:01") });
    const path: [string, string][] = [
      ["manage", "manageable"],
      ["inspect", "inspecting"],
      ["done", "manageable"],
      ["provide", "available"],
      ["deploy", "deploying"],
      ["done", "active"],
      ["rescue", "rescuing"],
      ["done", "rescue"],
      ["unrescue", "unrescuing"],
      ["done", "active"],
      ["delete", "deleting"],
      ["done", "cleaning"],
      ["done", "available"],
    ];
    let version = 1;
    for (const [action, state] of path) {
      const res = await act("life", action);
      expect(res.status, `${action} → ${state}`).toBe(200);
      expect(res.body.state).toBe(state);
      expect(res.headers.get("etag")).toBe(`"${++version}"`);
    }
    expect((await t.store.getNode("life"))?.state).toBe("available");
  });

  it("refuses an illegal action with 409 listing the allowed ones, changing nothing", async () => {
    await t.call("PUT", "/v1/nodes/strict", { body: nodeBody("strict", "02:00:00:00:3a:02") });
    const res = await act("strict", "deploy");
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({
      type: "urn:swiftboot:problem:illegal-transition",
      status: 409,
      detail: "action deploy is not allowed from state enroll; allowed: manage (→ manageable)",
      state: "enroll",
      allowed: [{ action: "manage", to: "manageable" }],
    });
    const after = await t.call("GET", "/v1/nodes/strict");
    expect(after.body.state).toBe("enroll");
    expect(after.headers.get("etag")).toBe('"1"');
  });

  it("deploying → error → deleting, as Ironic", async () => {
    await t.call("PUT", "/v1/nodes/fails", {
      body: nodeBody("fails", "02:00:00:00:3a:03", { state: "deploying" }),
    });
    expect((await act("fails", "fail")).body.state).toBe("error");
    expect((await act("fails", "delete")).body.state).toBe("deleting");
  });

  it("answers 400 for an unknown action and 404 for an unknown node", async () => {
    const unknown = await act("strict", "explode");
    expect(unknown.status).toBe(400);
    expect((unknown.body.errors as { path: string }[])[0]?.path).toBe("action");
    expect((await act("nobody", "manage")).status).toBe(404);
  });

  it("two writers with the same If-Match: one wins, the other gets 412", async () => {
    await t.call("PUT", "/v1/nodes/race", { body: nodeBody("race", "02:00:00:00:3a:04") });
    const etag = (await t.call("GET", "/v1/nodes/race")).headers.get("etag") as string;
    const [a, b] = await Promise.all([
      act("race", "manage", { "if-match": etag }),
      t.call("PATCH", "/v1/nodes/race", {
        body: { name: "renamed" },
        headers: { "if-match": etag },
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const loser = a.status === 412 ? a : b;
    expect(loser.body.type).toBe("urn:swiftboot:problem:precondition-failed");
    const final = await t.call("GET", "/v1/nodes/race");
    expect(final.headers.get("etag")).toBe('"2"');
    // Exactly the winner's change is stored.
    expect(final.body.state === "manageable").toBe(a.status === 200);
    expect(final.body.name === "renamed").toBe(b.status === 200);
  });

  it("many concurrent actions without If-Match: each applies to the state it checked", async () => {
    await t.call("PUT", "/v1/nodes/busy", { body: nodeBody("busy", "02:00:00:00:3a:05") });
    // Ten clients all try `manage`; only one can: from manageable it is no longer allowed.
    const results = await Promise.all(Array.from({ length: 10 }, () => act("busy", "manage")));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const final = await t.call("GET", "/v1/nodes/busy");
    expect(final.body.state).toBe("manageable");
    expect(final.headers.get("etag")).toBe('"2"');
  });
});
