import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importRecords } from "../../../shared/import/index.ts";
import {
  type AdminFixture,
  callApi,
  eventually,
  image,
  nodeBody,
  startAdmin,
} from "../admin/helpers.ts";

/**
 * Callback reports against DynamoDB Local: the store keeps state_id, last_report and inventory;
 * concurrent copies of a report apply once; a report racing an operator's action is applied or
 * refused, never both.
 */
let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("callbacks", { SWIFTBOOT_CALLBACK_ADOPT_MACS: "true" });
  for (const id of ["k", "r", "os-k", "os-r"]) await t.store.putImage(image(id));
});
afterAll(() => t?.close());

let macSeq = 0;
async function deployingNode(id: string, extra: Record<string, unknown> = {}) {
  const mac = `02:00:00:c0:00:${(++macSeq).toString(16).padStart(2, "0")}`;
  const res = await t.call("PUT", `/v1/nodes/${id}`, {
    body: nodeBody(id, mac, {
      state: "deploying",
      deploy: { kernel: "k", ramdisk: "r" },
      instance: { kernel: "os-k", ramdisk: "os-r", boot: "netboot" },
      ...extra,
    }),
  });
  expect(res.status, res.text).toBe(201);
  return mac;
}

async function callbackUrl(mac: string): Promise<string> {
  const script = await fetch(`${t.server.url}/boot/${mac.replaceAll(":", "-")}.ipxe`).then((r) =>
    r.text(),
  );
  const arg = script.split(/\s+/).find((a) => a.startsWith("swiftboot.callback="));
  if (arg === undefined) throw new Error(`no callback URL in:\n${script}`);
  return arg.slice("swiftboot.callback=".length);
}

const report = async (url: string, body: string, type = "application/x-www-form-urlencoded") => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": type }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("callback reports on DynamoDB", () => {
  it("store state_id, last_report and an inventory, and keep them across PUT and PATCH", async () => {
    await deployingNode("inv-1", { state: "inspecting" });
    const stored = await t.store.getNode("inv-1");
    expect(stored?.state_id).toMatch(/^[0-9a-f]{16}$/);
    const url = await callbackUrl(stored?.macs[0] as string);
    const inventory = {
      macs: ["02:00:00:c0:01:01"],
      cpu: { count: 2, model: "QEMU" },
      memory_mib: 512,
      disks: [{ name: "vda", size_bytes: 10_737_418_240, serial: "abc" }],
      system: { vendor: "QEMU", product: "Standard PC (i440FX + PIIX, 1996)" },
    };
    const res = await report(
      url,
      JSON.stringify({ status: "done", message: "ok", inventory }),
      "application/json",
    );
    expect(res.status).toBe(200);
    const node = (await t.call("GET", "/v1/nodes/inv-1")).body;
    expect(node.state).toBe("manageable");
    expect(node.inventory).toEqual(inventory);
    expect(node.macs).toEqual([stored?.macs[0], "02:00:00:c0:01:01"]); // adopt_macs
    expect(node.last_report).toMatchObject({ status: "done", state: "inspecting", message: "ok" });
    expect(node.state_id).not.toBe(stored?.state_id);

    // An operator's PUT without them, and a PATCH, keep what the machine reported.
    const { inventory: _i, last_report: _l, state_id: _s, ...plain } = node;
    expect(
      (await t.call("PUT", "/v1/nodes/inv-1", { body: { ...plain, name: "renamed" } })).status,
    ).toBe(200);
    expect(
      (await t.call("PATCH", "/v1/nodes/inv-1", { body: { kernel_args: "a=1" } })).status,
    ).toBe(200);
    const kept = (await t.call("GET", "/v1/nodes/inv-1")).body;
    expect(kept).toMatchObject({ name: "renamed", inventory, state_id: node.state_id });
    expect(kept.last_report).toEqual(node.last_report);
  });

  it("a re-import of the same file reports the node unchanged, inventory and all", async () => {
    await deployingNode("imp-1");
    const url = await callbackUrl((await t.store.getNode("imp-1"))?.macs[0] as string);
    expect((await report(url, "status=done")).status).toBe(200);
    const {
      inventory: _i,
      last_report: _l,
      state_id: _s,
      ...plain
    } = (await t.store.getNode("imp-1")) as NonNullable<
      Awaited<ReturnType<typeof t.store.getNode>>
    >;
    const result = await importRecords(t.store, { images: [], nodes: [plain] });
    expect(result.records.map((r) => r.outcome)).toEqual(["unchanged"]);
  });

  it("applies concurrent copies of the same report once", async () => {
    await deployingNode("dup-1");
    const mac = (await t.store.getNode("dup-1"))?.macs[0] as string;
    const url = await callbackUrl(mac);
    const before = await t.store.getNodeVersioned("dup-1");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => report(url, "status=done&message=installed")),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((a) => a.body.result === "applied")).toHaveLength(1);
    expect(answers.filter((a) => a.body.result === "unchanged")).toHaveLength(7);
    const after = await t.store.getNodeVersioned("dup-1");
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.record.state).toBe("active");
    const history = await eventually(
      () => t.store.listBoots("dup-1", { limit: 50 }),
      (p) => p.items.some((b) => b.outcome === "report-done"),
    );
    expect(history.items.filter((b) => b.outcome === "report-done")).toHaveLength(1);
  });

  it("a report racing an operator's action is applied or refused, never both", async () => {
    for (let round = 0; round < 6; round++) {
      const id = `race-${round}`;
      await deployingNode(id);
      const url = await callbackUrl((await t.store.getNode(id))?.macs[0] as string);
      // `fail` is allowed from deploying but not from active: only one of the two can win.
      const [byMachine, byOperator] = await Promise.all([
        report(url, "status=done"),
        t.call("POST", `/v1/nodes/${id}/actions/fail`),
      ]);
      const node = await t.store.getNode(id);
      const machineWon = byMachine.status === 200 && byMachine.body.result === "applied";
      const operatorWon = byOperator.status === 200;
      expect(
        machineWon !== operatorWon,
        `round ${round}: ${byMachine.status}/${byOperator.status}`,
      ).toBe(true);
      if (machineWon) {
        expect(byOperator.status).toBe(409);
        expect(node?.state).toBe("active");
        expect(node?.last_report?.status).toBe("done");
      } else {
        expect(byMachine.status).toBe(409);
        expect(node?.state).toBe("error");
        expect(node?.last_report).toBeUndefined();
      }
    }
  });

  it("after done, the machine's next boot is the instance, and a stale URL stays refused", async () => {
    const mac = await deployingNode("loop-1");
    const url = await callbackUrl(mac);
    expect((await report(url, "status=done")).status).toBe(200);
    const script = await fetch(`${t.server.url}/boot/${mac.replaceAll(":", "-")}.ipxe`).then((r) =>
      r.text(),
    );
    expect(script).toContain("instance boot of node loop-1");
    await callApi(t.server.url, "POST", "/v1/nodes/loop-1/actions/rebuild");
    expect((await report(url, "status=fail")).status).toBe(409);
    expect((await t.store.getNode("loop-1"))?.state).toBe("deploying");
  });
});
