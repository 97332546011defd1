import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { Node } from "../../../shared/model/index.ts";
import { CorruptRecordError, InvalidRecordError } from "../../../shared/store/index.ts";
import { claimProblems, createTestStore, node, type TestStore } from "./helpers.ts";

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-corrupt");
});

const rawPut = (Item: Record<string, unknown>) =>
  t.raw.send(new PutCommand({ TableName: t.table, Item }));

const goodNode = {
  pk: "NODE#n",
  sk: "NODE",
  _et: "Node",
  version: 1,
  name: "n",
  macs: ["02:00:00:00:c0:01"],
  state: "available",
};

async function corruptionOf(promise: Promise<unknown>): Promise<CorruptRecordError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptRecordError);
  return error as CorruptRecordError;
}

describe("corrupt stored items raise CorruptRecordError naming the key", () => {
  it("a node whose MAC breaks the model's rules (caught by zod)", async () => {
    await rawPut({ ...goodNode, pk: "NODE#bad-mac", macs: ["not-a-mac"] });
    const error = await corruptionOf(t.store.getNode("bad-mac"));
    expect(error.key).toBe("NODE#bad-mac");
    expect(error.message).toMatch(
      /^stored record NODE#bad-mac is invalid: macs\.0: must be a MAC address/,
    );
  });

  it("a node with a field of the wrong type or missing (caught by dynamodb-toolbox)", async () => {
    await rawPut({ ...goodNode, pk: "NODE#bad-type", macs: "02:00:00:00:c0:01" });
    expect((await corruptionOf(t.store.getNode("bad-type"))).key).toBe("NODE#bad-type");
    const { name: _name, ...nameless } = goodNode;
    await rawPut({ ...nameless, pk: "NODE#no-name" });
    expect((await corruptionOf(t.store.getNode("no-name"))).key).toBe("NODE#no-name");
    await rawPut({ ...goodNode, pk: "NODE#bad-state", state: "exploded" });
    expect((await corruptionOf(t.store.getNode("bad-state"))).key).toBe("NODE#bad-state");
  });

  it("on the boot path: the node a MAC claim points at is corrupt", async () => {
    // An iPXE variable expansion: unsafe in kernel arguments.
    await rawPut({ ...goodNode, pk: "NODE#boot-bad", kernel_args: "a \u0024{evil}" });
    await rawPut({ pk: "MAC#020000000c01", sk: "CLAIM", _et: "MacClaim", nodeId: "boot-bad" });
    const error = await corruptionOf(t.store.findNodeByMac("02:00:00:00:0c:01"));
    expect(error.key).toBe("NODE#boot-bad");
    expect(error.message).toContain("kernel_args");
  });

  it("a claim with a missing or impossible node id", async () => {
    await rawPut({ pk: "MAC#020000000c02", sk: "CLAIM", _et: "MacClaim" });
    expect((await corruptionOf(t.store.findNodeByMac("02:00:00:00:0c:02"))).key).toBe(
      "MAC#020000000c02",
    );
    await rawPut({
      pk: "UUID#66666666-6666-6666-6666-666666666666",
      sk: "CLAIM",
      nodeId: "has spaces",
    });
    const error = await corruptionOf(
      t.store.findNodeByUuid("66666666-6666-6666-6666-666666666666"),
    );
    expect(error.key).toBe("UUID#66666666-6666-6666-6666-666666666666");
  });

  it("images, read alone or in a batch", async () => {
    await rawPut({
      pk: "IMAGE#bad-origin",
      sk: "IMAGE",
      name: "x",
      swift: { object: "o" },
      origin: "ftp://x",
    });
    await rawPut({
      pk: "IMAGE#bad-size",
      sk: "IMAGE",
      name: "x",
      swift: { object: "o" },
      size: "big",
    });
    await rawPut({ pk: "IMAGE#good", sk: "IMAGE", name: "x", swift: { object: "o" } });
    const origin = await corruptionOf(t.store.getImage("bad-origin"));
    expect(origin.message).toMatch(/IMAGE#bad-origin is invalid: origin: must be an http/);
    expect((await corruptionOf(t.store.getImage("bad-size"))).key).toBe("IMAGE#bad-size");
    expect((await corruptionOf(t.store.getImages(["good", "bad-size"]))).key).toBe(
      "IMAGE#bad-size",
    );
    expect((await t.store.getImages(["good"])).get("good")).toEqual({
      id: "good",
      name: "x",
      swift: { object: "o" },
    });
  });
});

describe("corrupt nodes stay repairable", () => {
  it("putNode overwrites a corrupt node, releasing the claims it held", async () => {
    await rawPut({ ...goodNode, pk: "NODE#fixme", name: "", macs: ["02:00:00:00:c6:01", "junk"] });
    await rawPut({ pk: "MAC#02000000c601", sk: "CLAIM", nodeId: "fixme" });
    await corruptionOf(t.store.getNode("fixme"));
    const fixed = node({ id: "fixme", macs: ["02:00:00:00:c6:02"] });
    await t.store.putNode(fixed);
    expect(await t.store.getNode("fixme")).toEqual({ ...fixed, state_id: expect.any(String) });
    expect(await t.store.findNodeByMac("02:00:00:00:c6:01")).toBeUndefined();
  });

  it("deleteNode removes a corrupt node and its claims", async () => {
    await rawPut({
      ...goodNode,
      pk: "NODE#dropme",
      state: "exploded",
      macs: ["02:00:00:00:c7:01"],
    });
    await rawPut({ pk: "MAC#02000000c701", sk: "CLAIM", nodeId: "dropme" });
    expect(await t.store.deleteNode("dropme")).toBe(true);
    expect(await t.store.getNode("dropme")).toBeUndefined();
    await t.store.putNode(node({ id: "other", macs: ["02:00:00:00:c7:01"] })); // the MAC is free
  });

  it("a node whose version is not a number has to be fixed by hand", async () => {
    await rawPut({ ...goodNode, pk: "NODE#bad-version", version: "one" });
    const error = await corruptionOf(
      t.store.putNode(node({ id: "bad-version", macs: ["02:00:00:00:c8:01"] })),
    );
    expect(error.message).toMatch(/NODE#bad-version is invalid: version: must be an integer/);
  });
});

describe("invalid records are refused before anything is written", () => {
  it("putNode and putImage validate with the model's schemas", async () => {
    const bad = { ...node({ id: "invalid", macs: ["02:00:00:00:c1:01"] }), macs: ["zz"] } as Node;
    await expect(t.store.putNode(bad)).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(t.store.putNode(bad)).rejects.toThrow(
      /record NODE#invalid is invalid: macs\.0: must be a MAC/,
    );
    expect(await t.store.getNode("invalid")).toBeUndefined();
    await expect(
      t.store.putImage({ id: "no/slash", name: "x", swift: { object: "o" } }),
    ).rejects.toBeInstanceOf(InvalidRecordError);
  });
});

describe("items written by other tools", () => {
  it("a node without version or modification time reads fine and can be updated and deleted", async () => {
    const { version: _version, ...unversioned } = goodNode;
    await rawPut({ ...unversioned, pk: "NODE#seeded", macs: ["02:00:00:00:c5:01"] });
    await rawPut({ pk: "MAC#02000000c501", sk: "CLAIM", nodeId: "seeded" });
    const seeded = await t.store.findNodeByMac("02:00:00:00:c5:01");
    expect(seeded).toEqual({
      id: "seeded",
      name: "n",
      macs: ["02:00:00:00:c5:01"],
      state: "available",
    });
    const updated = node({ id: "seeded", macs: ["02:00:00:00:c5:02"] });
    await t.store.putNode(updated);
    expect(await t.store.findNodeByMac("02:00:00:00:c5:02")).toEqual({
      ...updated,
      state_id: expect.any(String),
    });
    expect(await t.store.findNodeByMac("02:00:00:00:c5:01")).toBeUndefined();
    expect(await t.store.deleteNode("seeded")).toBe(true);
  });
});

describe("claims edited behind the store's back", () => {
  it("a claim pointing at a node that does not list the MAC finds nothing", async () => {
    await t.store.putNode(node({ id: "lister", macs: ["02:00:00:00:c2:01"] }));
    await rawPut({ pk: "MAC#020000000c2ff", sk: "CLAIM", nodeId: "lister" });
    expect(await t.store.findNodeByMac("02:00:00:00:c2:ff")).toBeUndefined();
    await t.raw.send(
      new DeleteCommand({ TableName: t.table, Key: { pk: "MAC#020000000c2ff", sk: "CLAIM" } }),
    );
  });

  it("a lost claim is repaired by the next putNode, and a deleted one does not block releases", async () => {
    const n = node({ id: "repair", macs: ["02:00:00:00:c3:01", "02:00:00:00:c3:02"] });
    await t.store.putNode(n);
    const lost = { TableName: t.table, Key: { pk: "MAC#020000c301", sk: "CLAIM" } };
    await t.raw.send(new DeleteCommand({ ...lost, Key: { pk: "MAC#02000000c301", sk: "CLAIM" } }));
    expect(await t.store.findNodeByMac("02:00:00:00:c3:01")).toBeUndefined();
    await t.store.putNode(n); // re-put repairs it
    expect(await t.store.findNodeByMac("02:00:00:00:c3:01")).toEqual({
      ...n,
      state_id: expect.any(String),
    });
    await t.raw.send(new DeleteCommand({ ...lost, Key: { pk: "MAC#02000000c302", sk: "CLAIM" } }));
    const dropped = node({ id: "repair", macs: ["02:00:00:00:c3:01"] });
    await t.store.putNode(dropped); // releasing the already-missing claim must not fail
    expect(await t.store.getNode("repair")).toEqual({ ...dropped, state_id: expect.any(String) });
  });

  it("a claim stolen behind the store's back is left to its holder when the node drops it", async () => {
    await t.store.putNode(node({ id: "victim", macs: ["02:00:00:00:c4:01", "02:00:00:00:c4:02"] }));
    await rawPut({ pk: "MAC#02000000c402", sk: "CLAIM", nodeId: "thief" });
    await t.store.putNode(node({ id: "thief", macs: ["02:00:00:00:c4:02"] }));
    await t.store.putNode(node({ id: "victim", macs: ["02:00:00:00:c4:01"] }));
    expect((await t.store.findNodeByMac("02:00:00:00:c4:02"))?.id).toBe("thief");
    expect(await t.store.deleteNode("victim")).toBe(true);
    expect((await t.store.findNodeByMac("02:00:00:00:c4:02"))?.id).toBe("thief");
  });
});

describe("invariant", () => {
  it("holds for the nodes written through the store (the corrupt ones aside)", async () => {
    const problems = (await claimProblems(t)).filter(
      (p) => !/boot-bad|0c02|66666666|bad-|no-name|lister|c2ff/.test(p),
    );
    expect(problems).toEqual([]);
  });
});
