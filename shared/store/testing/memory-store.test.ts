import { describe, expect, it } from "vitest";
import { type Node, nodeSchema } from "../../model/index.ts";
import { IdentityConflictError, InvalidRecordError, StoreUnavailableError } from "../errors.ts";
import { brokenStore, emptyStore, fixedStore } from "./fakes.ts";

const node = (id: string, macs: string[], extra: Partial<Node> = {}) =>
  nodeSchema.parse({ id, name: id, macs, state: "available", ...extra });

describe("MemoryStore", () => {
  it("finds nodes by any MAC form and by UUID in any case", async () => {
    const store = emptyStore();
    const n = node("a", ["52:54:00:12:34:56"], { uuid: "4c4c4544-0042-3510-8052-b4c04f384d32" });
    await store.putNode(n);
    for (const mac of [
      "52:54:00:12:34:56",
      "52-54-00-12-34-56",
      "525400123456",
      "52:54:00:12:34:56".toUpperCase(),
    ]) {
      expect(await store.findNodeByMac(mac)).toEqual(n);
    }
    expect(await store.findNodeByUuid("4C4C4544-0042-3510-8052-B4C04F384D32")).toEqual(n);
    expect(await store.findNodeByMac("garbage")).toBeUndefined();
    expect(await store.findNodeByUuid("garbage")).toBeUndefined();
  });

  it("refuses another node's MAC or UUID, naming the holder, and changes nothing", async () => {
    const store = emptyStore();
    await store.putNode(
      node("a", ["02:00:00:00:00:01"], { uuid: "11111111-1111-1111-1111-111111111111" }),
    );
    const b = node("b", ["02:00:00:00:00:02"]);
    await store.putNode(b);
    await expect(
      store.putNode(node("b", ["02:00:00:00:00:03", "02:00:00:00:00:01"])),
    ).rejects.toEqual(new IdentityConflictError("mac", "02:00:00:00:00:01", "a"));
    await expect(
      store.putNode(
        node("c", ["02:00:00:00:00:04"], { uuid: "11111111-1111-1111-1111-111111111111" }),
      ),
    ).rejects.toMatchObject({ kind: "uuid", otherNodeId: "a" });
    expect(await store.getNode("b")).toEqual(b);
    expect(await store.findNodeByMac("02:00:00:00:00:03")).toBeUndefined();
    expect(await store.getNode("c")).toBeUndefined();
  });

  it("releases dropped identities on update and all of them on delete", async () => {
    const store = emptyStore();
    await store.putNode(node("a", ["02:00:00:00:00:01", "02:00:00:00:00:02"]));
    await store.putNode(node("a", ["02:00:00:00:00:02"]));
    expect(await store.findNodeByMac("02:00:00:00:00:01")).toBeUndefined();
    await store.putNode(node("b", ["02:00:00:00:00:01"]));
    expect(await store.deleteNode("a")).toBe(true);
    expect(await store.deleteNode("a")).toBe(false);
    expect(await store.findNodeByMac("02:00:00:00:00:02")).toBeUndefined();
    expect((await store.findNodeByMac("02:00:00:00:00:01"))?.id).toBe("b");
  });

  it("is idempotent and copies records in and out", async () => {
    const store = emptyStore();
    const n = node("a", ["02:00:00:00:00:01"]);
    await store.putNode(n);
    await store.putNode(n);
    n.macs.push("02:00:00:00:00:09");
    const read = await store.getNode("a");
    expect(read?.macs).toEqual(["02:00:00:00:00:01"]);
    read?.macs.push("x");
    expect((await store.getNode("a"))?.macs).toEqual(["02:00:00:00:00:01"]);
  });

  it("validates records on write", async () => {
    const store = emptyStore();
    const bad = { ...node("a", ["02:00:00:00:00:01"]), state: "exploded" } as unknown as Node;
    await expect(store.putNode(bad)).rejects.toBeInstanceOf(InvalidRecordError);
    await expect(store.putNode(bad)).rejects.toThrow(/^record NODE#a is invalid: state: /);
  });

  it("returns only the images that exist from getImages", async () => {
    const store = fixedStore([], [{ id: "k", name: "K", swift: { object: "k" } }]);
    const found = await store.getImages(["k", "missing"]);
    expect([...found.keys()]).toEqual(["k"]);
    expect(await store.getImage("missing")).toBeUndefined();
  });
});

describe("fixedStore", () => {
  it("accepts inputs in any accepted form", async () => {
    const store = fixedStore([
      { id: "n", name: "n", macs: ["52-54-00-AB-CD-EF"], state: "deploying" },
    ]);
    expect((await store.findNodeByMac("52:54:00:ab:cd:ef"))?.id).toBe("n");
  });

  it("refuses fixtures that conflict", () => {
    expect(() =>
      fixedStore([
        { id: "a", name: "a", macs: ["02:00:00:00:00:01"], state: "enroll" },
        { id: "b", name: "b", macs: ["02:00:00:00:00:01"], state: "enroll" },
      ]),
    ).toThrow(IdentityConflictError);
  });
});

describe("brokenStore", () => {
  it("fails every call with StoreUnavailableError", async () => {
    const store = brokenStore();
    const calls = [
      store.findNodeByMac("52:54:00:12:34:56"),
      store.findNodeByUuid("4c4c4544-0042-3510-8052-b4c04f384d32"),
      store.getImages(["a"]),
      store.getImage("a"),
      store.getNode("a"),
      store.deleteNode("a"),
      store.putNode(node("a", ["02:00:00:00:00:01"])),
      store.putImage({ id: "a", name: "a", swift: { object: "a" } }),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
