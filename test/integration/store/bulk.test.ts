import { beforeAll, describe, expect, it } from "vitest";
import { imageSchema } from "../../../shared/model/index.ts";
import { IdentityConflictError, VersionMismatchError } from "../../../shared/store/index.ts";
import { claimProblems, createTestStore, node, type TestStore } from "./helpers.ts";

/**
 * The bulk writes under `swiftboot import` (shared/store/node-bulk.ts): several nodes per
 * transaction, and a group that DynamoDB cancels written again node by node, so the one bad
 * node fails alone, with its own error, and the claims invariant holds.
 */
let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-bulk");
  for (const id of ["k", "r"]) {
    await t.store.putImage(imageSchema.parse({ id, name: id, swift: { object: id } }));
  }
});

const deploy = { kernel: "k", ramdisk: "r" };
const mac = (i: number) =>
  `02:00:00:b0:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;

describe("bulk node writes", () => {
  it("writes many nodes in a few transactions, with their claims and usage", async () => {
    const nodes = Array.from({ length: 60 }, (_, i) =>
      node({ id: `b${i}`, macs: [mac(i)], state: "deploying", deploy }),
    );
    const results = await t.store.bulk.writeNodes(
      nodes.map((n) => ({ node: n, current: undefined })),
    );
    expect(results.every((r) => "result" in r && r.result.created && r.result.version === 1)).toBe(
      true,
    );
    expect((await t.store.findNodeByMac(mac(42)))?.id).toBe("b42");
    const read = await t.store.bulk.readNodes(["b0", "b59", "nope"]);
    expect([...read.keys()].sort()).toEqual(["b0", "b59"]);
    const owners = await t.store.bulk.claimOwners([
      { kind: "mac", value: mac(7) },
      { kind: "mac", value: "02:00:00:ff:ff:ff" },
    ]);
    expect([...owners]).toEqual([[`mac:${mac(7)}`, "b7"]]);
    expect(await claimProblems(t)).toEqual([]);
  });

  it("fails only the node whose MAC another node took meanwhile, or whose version moved", async () => {
    await t.store.putNode(node({ id: "taker", macs: [mac(500)], state: "enroll" }));
    const b1 = await t.store.getNodeVersioned("b1");
    const b2Before = await t.store.getNodeVersioned("b2");
    await t.store.putNode(
      node({ id: "b2", macs: [mac(2)], state: "deploying", deploy, kernel_args: "x=1" }),
    );
    const entries = [
      // Its plan did not know `taker` holds this MAC now.
      {
        node: node({ id: "b0", macs: [mac(0), mac(500)], state: "deploying", deploy }),
        current: undefined,
      },
      {
        node: node({ id: "b1", macs: [mac(1)], state: "deploying", deploy, kernel_args: "y=1" }),
        current: b1,
      },
      // Written over version 1, which b2 no longer has.
      {
        node: node({ id: "b2", macs: [mac(2)], state: "deploying", deploy, kernel_args: "z=1" }),
        current: b2Before,
        expectedVersion: 1,
      },
      {
        node: node({ id: "b100", macs: [mac(100)], state: "deploying", deploy }),
        current: undefined,
      },
    ];
    const results = await t.store.bulk.writeNodes(entries);
    const [r0, r1, r2, r3] = results;
    expect(r0 && "error" in r0 && r0.error).toBeInstanceOf(IdentityConflictError);
    expect(r1 && "result" in r1 && r1.result.version).toBe(2);
    expect(r2 && "error" in r2 && r2.error).toBeInstanceOf(VersionMismatchError);
    expect(r3 && "result" in r3 && r3.result.created).toBe(true);
    expect((await t.store.getNode("b0"))?.macs).toEqual([mac(0)]);
    expect((await t.store.getNode("b1"))?.kernel_args).toBe("y=1");
    expect((await t.store.getNode("b2"))?.kernel_args).toBe("x=1");
    expect(await claimProblems(t)).toEqual([]);
  });
});
