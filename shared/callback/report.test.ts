import { describe, expect, it } from "vitest";
import { MAC } from "../../test/support/boot/fixtures.ts";
import { reportTestApp } from "../../test/support/callback/report-app.ts";
import type { ProvisionState } from "../model/index.ts";
import type { ProvisionAction } from "../model/transitions.ts";
import { callbackKeys, signCallbackUrl } from "./url.ts";

const SIGNING_KEY = "0123456789abcdef-key"; // adminTestApp's

async function deployingApp(env: Record<string, string> = {}) {
  const t = await reportTestApp(env);
  await t.putNode({ state: "deploying" });
  const url = await t.callbackUrl();
  if (url === undefined) throw new Error("no callback URL in the deploy script");
  return { ...t, url };
}

describe("callback reports", () => {
  const cases: [ProvisionState, "done" | "fail", ProvisionState][] = [
    ["deploying", "done", "active"],
    ["cleaning", "done", "available"],
    ["inspecting", "done", "manageable"],
    ["rescuing", "done", "rescue"],
    ["deploying", "fail", "error"],
    ["cleaning", "fail", "error"],
    ["inspecting", "fail", "error"],
    ["rescuing", "fail", "error"],
  ];
  for (const [from, status, to] of cases) {
    it(`${from} + ${status} → ${to}, keeping the message and time on the node and in its history`, async () => {
      const t = await reportTestApp();
      await t.putNode({ state: from });
      const url = await t.callbackUrl();
      expect(url, "callback URL").toBeDefined();
      const res = await t.report(url as string, `status=${status}&message=step+${status}`);
      expect(res.status, res.text).toBe(200);
      expect(res.json).toMatchObject({ result: "applied", status, from, to });
      const stored = await t.store.getNode("node-1");
      expect(stored?.state).toBe(to);
      expect(stored?.last_report).toMatchObject({ status, state: from, message: `step ${status}` });
      expect(Date.parse(stored?.last_report?.at ?? "")).toBeGreaterThan(Date.now() - 60_000);
      const boots = await t.store.listBoots("node-1", { limit: 10 });
      expect(boots.items[0]).toMatchObject({
        outcome: `report-${status}`,
        state: from,
        message: `step ${status}`,
      });
    });
  }

  it("takes JSON bodies too, and stores an inspection's inventory", async () => {
    const t = await reportTestApp();
    await t.putNode({ state: "inspecting" });
    const inventory = {
      macs: ["52-54-00-12-34-57"],
      cpu: { count: 4, model: "QEMU Virtual CPU" },
      memory_mib: 512,
      disks: [{ name: "vda", size_bytes: 1048576, model: "virtio", serial: "d1" }],
      system: { vendor: "QEMU", product: "Standard PC", serial: "s1" },
    };
    const res = await t.report(
      (await t.callbackUrl()) as string,
      JSON.stringify({ status: "done", inventory }),
      "application/json",
    );
    expect(res.status, res.text).toBe(200);
    const stored = await t.store.getNode("node-1");
    expect(stored?.inventory).toEqual({ ...inventory, macs: ["52:54:00:12:34:57"] });
    expect(stored?.macs).toEqual([MAC]); // adopt_macs is off
    // The admin API shows it.
    expect((await t.call("GET", "/v1/nodes/node-1")).json.inventory).toMatchObject({
      memory_mib: 512,
    });
  });

  it("adopts the inventory's MACs when callback.adopt_macs is on, leaving out another node's", async () => {
    const t = await reportTestApp({ SWIFTBOOT_CALLBACK_ADOPT_MACS: "true" });
    await t.putNode({ state: "inspecting" });
    await t.putNode({ id: "other", macs: ["02:00:00:00:00:09"], uuid: undefined, state: "enroll" });
    const res = await t.report(
      (await t.callbackUrl()) as string,
      JSON.stringify({
        status: "done",
        inventory: { macs: [MAC, "02:00:00:00:00:08", "02:00:00:00:00:09"] },
      }),
      "application/json",
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      adopted_macs: ["02:00:00:00:00:08"],
      conflicting_macs: ["02:00:00:00:00:09"],
    });
    expect((await t.store.getNode("node-1"))?.macs).toEqual([MAC, "02:00:00:00:00:08"]);
    expect((await t.store.getNode("other"))?.macs).toEqual(["02:00:00:00:00:09"]);
  });

  it("keeps the URL's signature out of the request log", async () => {
    const t = await deployingApp();
    expect((await t.report(t.url, "status=done")).status).toBe(200);
    const sig = t.url.split("/").at(-1) as string;
    const logged = t.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(logged).toContain("/v1/callbacks/node/node-1/deploying/");
    expect(logged).toContain("[redacted]");
    expect(logged).not.toContain(sig);
  });

  it("is idempotent: the same report again answers 200 and changes nothing", async () => {
    const t = await deployingApp();
    expect((await t.report(t.url, "status=done")).status).toBe(200);
    const after = await t.store.getNodeVersioned("node-1");
    const again = await t.report(t.url, "status=done");
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ result: "unchanged" });
    expect(await t.store.getNodeVersioned("node-1")).toEqual(after);
    // The opposite report for the same boot is refused.
    const flip = await t.report(t.url, "status=fail");
    expect(flip.status).toBe(409);
    expect(await t.store.getNodeVersioned("node-1")).toEqual(after);
  });

  it("after done on a deploy, the next power-on boots the instance (netboot) or the disk (local)", async () => {
    const t = await deployingApp();
    expect(await t.script()).toContain("deploy boot of node");
    expect((await t.report(t.url, "status=done")).status).toBe(200);
    const netboot = await t.script();
    expect(netboot).toContain("instance boot of node");
    expect(netboot).not.toContain("swiftboot.callback=");

    const local = await reportTestApp();
    await local.putNode({ state: "deploying", instance: { boot: "local" } });
    const url = (await local.callbackUrl()) as string;
    expect((await local.report(url, "status=done")).status).toBe(200);
    const script = await local.script();
    expect(script).toContain("boots from its local disk");
    expect(script.trim().split("\n").at(-1)).toBe("exit");
  });

  const movedPast: [string, (t: Awaited<ReturnType<typeof deployingApp>>) => Promise<unknown>][] = [
    [
      "an operator moved it to another state",
      (t) => t.call("POST", "/v1/nodes/node-1/actions/delete"),
    ],
    [
      "a newer stay in the same state (done, then rebuild)",
      async (t) => {
        await t.call("POST", "/v1/nodes/node-1/actions/done");
        await t.call("POST", "/v1/nodes/node-1/actions/rebuild");
      },
    ],
    [
      "the node was deleted and created again with the same id",
      async (t) => {
        const node = await t.store.getNode("node-1");
        await t.store.deleteNode("node-1");
        await t.store.putNode({ ...(node as NonNullable<typeof node>), state_id: undefined });
      },
    ],
    ["the node was deleted", (t) => t.store.deleteNode("node-1")],
  ];
  for (const [name, move] of movedPast) {
    it(`refuses with 409 and changes nothing when ${name}`, async () => {
      const t = await deployingApp();
      await move(t);
      const before = await t.store.getNodeVersioned("node-1");
      const res = await t.report(t.url, "status=done");
      expect(res.status, res.text).toBe(409);
      expect(res.json.type).toBe("urn:swiftboot:problem:report-refused");
      expect(await t.store.getNodeVersioned("node-1")).toEqual(before);
    });
  }

  it("a newer stay's URL works where the old one is refused", async () => {
    const t = await deployingApp();
    await t.call("POST", "/v1/nodes/node-1/actions/done");
    await t.call("POST", "/v1/nodes/node-1/actions/rebuild");
    const fresh = (await t.callbackUrl()) as string;
    expect(fresh).not.toBe(t.url);
    expect((await t.report(t.url, "status=done")).status).toBe(409);
    expect((await t.report(fresh, "status=done")).status).toBe(200);
  });

  it("refuses forged, altered, expired and other nodes' URLs with 401/403, writing nothing", async () => {
    const t = await deployingApp();
    await t.putNode({ id: "node-2", macs: ["02:00:00:00:00:02"], uuid: undefined });
    const keys = callbackKeys(SIGNING_KEY, undefined);
    if (keys === undefined) throw new Error("keys");
    const stateId = (await t.store.getNode("node-1"))?.state_id as string;
    const subject = { kind: "node", nodeId: "node-1", state: "deploying", stateId } as const;
    const now = Math.floor(Date.now() / 1000);
    const sig = t.url.split("/").at(-1) as string;
    const refused: [string, number][] = [
      [signCallbackUrl("http://boot.example", subject, now - 1, keys.current), 401],
      [signCallbackUrl("http://boot.example", subject, now + 60, "forged-key"), 403],
      [t.url.replace("/node-1/", "/node-2/"), 403],
      [t.url.replace("/deploying/", "/cleaning/"), 403],
      [t.url.replace(/\/(\d+)\//, (_, e) => `/${Number(e) + 3600}/`), 403],
      [t.url.replace(sig, "0".repeat(64)), 403],
      [t.url.replace(sig, "zz"), 403],
      [`${t.url}/extra`, 403],
    ];
    const before = await t.store.getNodeVersioned("node-1");
    const before2 = await t.store.getNodeVersioned("node-2");
    for (const [url, status] of refused) {
      const res = await t.report(url, "status=done");
      expect(res.status, url).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await t.store.getNodeVersioned("node-1")).toEqual(before);
    expect(await t.store.getNodeVersioned("node-2")).toEqual(before2);
    expect(
      (await t.store.listBoots("node-1", { limit: 10 })).items.map((b) => b.outcome),
    ).not.toContain("report-done");
  });

  it("grants nothing else: no read, no other method, no chosen target state", async () => {
    const t = await deployingApp();
    const before = await t.store.getNodeVersioned("node-1");
    for (const method of ["GET", "HEAD", "PUT", "PATCH", "DELETE"]) {
      const res = await t.report(t.url, "status=done", null, method);
      expect(res.status, method).toBe(405);
      expect(res.text).not.toContain('node-1","name');
    }
    const chosen = await t.report(
      t.url,
      JSON.stringify({ status: "done", state: "active" }),
      "application/json",
    );
    expect(chosen.status).toBe(400);
    for (const body of [
      "status=manage",
      "status=adopt",
      "action=done",
      "status=done&state=available",
    ]) {
      expect((await t.report(t.url, body)).status, body).toBe(400);
    }
    expect(await t.store.getNodeVersioned("node-1")).toEqual(before);
  });

  it("refuses bad bodies with 400/413/415 naming the problem, writing nothing", async () => {
    const t = await deployingApp();
    const before = await t.store.getNodeVersioned("node-1");
    const bad: [string, string | null, number, string][] = [
      ["", null, 400, "status"],
      ["status=", null, 400, "status"],
      ["status=ok", null, 400, "status"],
      ["status=done&status=fail", null, 400, "status"],
      [`status=fail&message=${"x".repeat(1025)}`, null, 400, "message"],
      ["status=fail&message=%1b[31m", null, 400, "message"],
      ["status=done&inventory=notjson", null, 400, "inventory"],
      [
        '{"status":"done","inventory":{"memory_mib":-1}}',
        "application/json",
        400,
        "inventory.memory_mib",
      ],
      [
        '{"status":"done","inventory":{"macs":["nope"]}}',
        "application/json",
        400,
        "inventory.macs.0",
      ],
      ["{", "application/json", 400, "(root)"],
      ["status=done", "multipart/form-data; boundary=x", 415, ""],
      [`status=done&message=${"x".repeat(90_000)}`, null, 413, ""],
    ];
    for (const [body, type, status, path] of bad) {
      const res = await t.report(t.url, body, type ?? "application/x-www-form-urlencoded");
      expect(res.status, body.slice(0, 60)).toBe(status);
      if (path !== "") {
        expect(
          (res.json.errors as { path: string }[]).map((e) => e.path),
          body.slice(0, 60),
        ).toContain(path);
      }
    }
    expect(await t.store.getNodeVersioned("node-1")).toEqual(before);
    // A message of exactly 1 KiB with tabs and newlines is fine.
    const ok = await t.report(
      t.url,
      JSON.stringify({ status: "fail", message: `a\tb\n${"é".repeat(509)}` }),
      "application/json",
    );
    expect(ok.status, ok.text).toBe(200);
  });

  it("states whose boot reports nothing get no callback URL", async () => {
    for (const state of ["rescue", "active"] as ProvisionState[]) {
      const t = await reportTestApp();
      await t.putNode({ state });
      expect(await t.callbackUrl(), state).toBeUndefined();
    }
    const t = await reportTestApp({ SWIFTBOOT_CALLBACK_TTL: "600" });
    await t.putNode({ state: "deploying" });
    const expires = Number(((await t.callbackUrl()) as string).split("/").at(-2));
    expect(expires - Date.now() / 1000).toBeGreaterThan(590);
    expect(expires - Date.now() / 1000).toBeLessThanOrEqual(600);
  });

  it("operator actions still work on a node that machines report for", async () => {
    const t = await deployingApp();
    const action: ProvisionAction = "done";
    expect((await t.call("POST", `/v1/nodes/node-1/actions/${action}`)).status).toBe(200);
    expect((await t.report(t.url, "status=done")).status).toBe(409);
  });
});
