import { describe, expect, it } from "vitest";
import { READ_TOKEN } from "../../test/support/admin-app.ts";
import { MAC } from "../../test/support/boot/fixtures.ts";
import { reportTestApp } from "../../test/support/callback/report-app.ts";
import { scriptProblems } from "../../test/support/ipxe/check.ts";
import { DiscoveryRecorder } from "./recorder.ts";

const UNKNOWN = "02:00:00:00:aa:01";
const UUID = "0a0b0c0d-0000-4000-8000-00000000aa01";
const DISCOVER = {
  SWIFTBOOT_IPXE_UNKNOWN_ACTION: "discover",
  SWIFTBOOT_DISCOVERY_KERNEL: "ipa-kernel",
  SWIFTBOOT_DISCOVERY_RAMDISK: "ipa-ramdisk",
  SWIFTBOOT_DISCOVERY_KERNEL_ARGS: "console=ttyS0 discovery=1",
};

/** Polls until the background write shows (it runs after the answer). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (ok(value) || i > 100) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("DiscoveryRecorder", () => {
  it("writes a MAC at most once a minute, counting the requests in between", () => {
    const r = new DiscoveryRecorder();
    expect(r.admit("m1", 0)).toBe(1);
    expect(r.admit("m1", 1_000)).toBeUndefined();
    expect(r.admit("m1", 59_999)).toBeUndefined();
    expect(r.admit("m1", 60_000)).toBe(3);
    expect(r.admit("m2", 60_001)).toBe(1);
  });

  it("caps writes per minute in all, and the MACs it remembers", () => {
    const r = new DiscoveryRecorder({
      minIntervalMs: 60_000,
      maxWritesPerMinute: 3,
      maxTracked: 2,
    });
    const admitted = ["a", "b", "c", "d", "e"].map((m) => r.admit(m, 1_000));
    expect(admitted).toEqual([1, 1, 1, undefined, undefined]);
    expect(r.tracked).toBe(2);
    expect(r.admit("f", 61_000)).toBe(1); // a new minute
  });
});

describe("unknown machines", () => {
  it("are recorded off the answer, listed newest first, deleted, and enrolled as nodes", async () => {
    const t = await reportTestApp();
    await t.putNode({ state: "active" });
    const script = await t.script(UNKNOWN);
    expect(script).toContain("unknown machine");
    await t.app.request(`http://boot.example/boot/${MAC.replaceAll(":", "-")}.ipxe`); // known: not listed
    const second = "02:00:00:00:aa:02";
    await t.app.request(
      `http://boot.example/boot/02-00-00-00-aa-02.ipxe?uuid=${UUID}&arch=x86_64&platform=efi`,
    );
    const list = await eventually(
      () => t.call("GET", "/v1/discovered", { token: READ_TOKEN }),
      (r) => ((r.json.items as unknown[]) ?? []).length === 2,
    );
    expect(list.status).toBe(200);
    const items = list.json.items as Record<string, unknown>[];
    expect(items.map((i) => i.mac).sort()).toEqual([UNKNOWN, second]);
    expect(items.find((i) => i.mac === second)).toMatchObject({
      uuid: UUID,
      arch: "x86_64",
      platform: "efi",
      count: 1,
    });
    // Paging.
    const page1 = await t.call("GET", "/v1/discovered?limit=1", { token: READ_TOKEN });
    expect(page1.json.items).toHaveLength(1);
    const page2 = await t.call("GET", `/v1/discovered?limit=1&cursor=${page1.json.next_cursor}`, {
      token: READ_TOKEN,
    });
    expect(page2.json.items).toHaveLength(1);
    expect(page2.json.items).not.toEqual(page1.json.items);

    // A read token cannot enroll or delete.
    expect(
      (await t.call("DELETE", `/v1/discovered/${UNKNOWN}`, { token: READ_TOKEN })).status,
    ).toBe(403);
    expect((await t.call("DELETE", "/v1/discovered/02-00-00-00-aa-01")).status).toBe(204);
    expect((await t.call("DELETE", "/v1/discovered/02-00-00-00-aa-01")).status).toBe(404);
    expect((await t.call("DELETE", "/v1/discovered/nonsense")).status).toBe(400);

    const enrolled = await t.call("POST", "/v1/discovered/02-00-00-00-aa-02/enroll", {
      body: { id: "rack2-node1", name: "rack 2 node 1" },
    });
    expect(enrolled.status, enrolled.text).toBe(201);
    expect(enrolled.json).toMatchObject({
      id: "rack2-node1",
      name: "rack 2 node 1",
      macs: [second],
      uuid: UUID,
      state: "enroll",
    });
    expect((await t.call("GET", "/v1/discovered", { token: READ_TOKEN })).json.items).toEqual([]);
    // The machine is known now: its next boot says so, and it is not listed again.
    expect(await t.script(second)).toContain("rack2-node1");
    expect(
      (await t.call("POST", "/v1/discovered/02-00-00-00-aa-02/enroll", { body: {} })).status,
    ).toBe(404);
  });

  it("enrolling refuses an id or identity another node holds", async () => {
    const t = await reportTestApp();
    await t.script(UNKNOWN);
    await eventually(
      () => t.store.getDiscovered(UNKNOWN),
      (m) => m !== undefined,
    );
    await t.putNode({ id: "taken", macs: ["02:00:00:00:00:99"], uuid: undefined, state: "enroll" });
    const clash = await t.call("POST", `/v1/discovered/${UNKNOWN}/enroll`, {
      body: { id: "taken" },
    });
    expect(clash.status).toBe(409);
    expect(clash.json.type).toBe("urn:swiftboot:problem:node-exists");
    const bad = await t.call("POST", `/v1/discovered/${UNKNOWN}/enroll`, {
      body: { id: "bad id" },
    });
    expect(bad.status).toBe(400);
    const ok = await t.call("POST", `/v1/discovered/${UNKNOWN}/enroll`);
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.id).toBe("mac-02-00-00-00-aa-01");
  });

  it("with unknown_action = discover boot the discovery image, whose done report enrolls them", async () => {
    const t = await reportTestApp(DISCOVER);
    const path = `http://boot.example/boot/02-00-00-00-aa-01.ipxe?uuid=${UUID}&arch=x86_64&platform=pcbios`;
    const script = await (await t.app.request(path)).text();
    expect(scriptProblems(script)).toEqual([]);
    expect(script).toContain("swiftboot: discovery boot of node");
    const kernel = script.split("\n").find((l) => l.startsWith("kernel "));
    expect(kernel).toMatch(
      /initrd=ramdisk BOOTIF=01-02-00-00-00-aa-01 swiftboot\.callback=http:\/\/boot\.example\/v1\/callbacks\/discovery\/02000000aa01\/0a0b0c0d-0000-4000-8000-00000000aa01\/\d+\/[0-9a-f]{64} console=ttyS0 discovery=1 \|\| goto retry$/,
    );
    const url = (kernel as string)
      .split(" ")
      .find((a) => a.startsWith("swiftboot.callback="))
      ?.slice(19) as string;

    const noted = await t.report(url, "status=fail&message=no+disks");
    expect(noted.json).toMatchObject({ result: "noted" });
    expect(await t.store.getNode(UUID)).toBeUndefined();

    const body = JSON.stringify({
      status: "done",
      inventory: { memory_mib: 2048, macs: [UNKNOWN] },
    });
    const res = await t.report(url, body, "application/json");
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ result: "enrolled", node: UUID, state: "enroll" });
    expect(await t.store.getNode(UUID)).toMatchObject({
      id: UUID,
      macs: [UNKNOWN],
      uuid: UUID,
      state: "enroll",
      inventory: { memory_mib: 2048 },
    });
    // Again: unchanged. And the machine is a node now: its next boot says so.
    expect((await t.report(url, body, "application/json")).json).toMatchObject({
      result: "unchanged",
    });
    expect(await t.script(UNKNOWN)).toContain(`node ${UUID} is in provision state enroll`);
  });

  it("a discovery report for a MAC another node took since is refused", async () => {
    const t = await reportTestApp(DISCOVER);
    const url = (await t.callbackUrl("02:00:00:00:aa:03")) as string;
    await t.putNode({
      id: "took-it",
      macs: ["02:00:00:00:aa:03"],
      uuid: undefined,
      state: "enroll",
    });
    const res = await t.report(url, "status=done");
    expect(res.status).toBe(409);
    expect(await t.store.getNode("mac-02-00-00-00-aa-03")).toBeUndefined();
  });

  it("without discovery images configured as existing, explain and fail as before", async () => {
    const t = await reportTestApp({
      ...DISCOVER,
      SWIFTBOOT_DISCOVERY_KERNEL: "missing-kernel",
    });
    const script = await t.script(UNKNOWN);
    expect(script).toContain("no discovery boot: discovery kernel missing-kernel");
    expect(script).not.toContain("kernel --name");
    const plain = await reportTestApp();
    expect(await plain.callbackUrl(UNKNOWN)).toBeUndefined();
  });
});
