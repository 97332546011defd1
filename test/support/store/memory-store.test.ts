import { describe, expect, it } from "vitest";
import { type Node, nodeSchema } from "../../../shared/model/index.ts";
import {
  IdentityConflictError,
  InvalidCursorError,
  StoreUnavailableError,
} from "../../../shared/store/errors.ts";
import { describeStoreContract } from "./contract.ts";
import { brokenStore, emptyStore, fixedStore } from "./fakes.ts";

const node = (id: string, macs: string[], extra: Partial<Node> = {}) =>
  nodeSchema.parse({ id, name: id, macs, state: "available", ...extra });

describeStoreContract("MemoryStore", async () => emptyStore());

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

describe("MemoryStore listing order", () => {
  it("lists by id with cursors bound to the filter", async () => {
    const store = emptyStore();
    for (let i = 0; i < 7; i++) {
      await store.putNode(
        node(`n${i}`, [`02:00:00:00:01:0${i}`], { state: i % 2 ? "active" : "available" }),
      );
    }
    const first = await store.listNodes({ limit: 3 });
    expect(first.items.map((n) => n.id)).toEqual(["n0", "n1", "n2"]);
    const rest = await store.listNodes({ limit: 10, cursor: first.cursor as string });
    expect(rest.items.map((n) => n.id)).toEqual(["n3", "n4", "n5", "n6"]);
    expect(rest.cursor).toBeUndefined();
    const active = await store.listNodes({ limit: 10, state: "active" });
    expect(active.items.map((n) => n.id)).toEqual(["n1", "n3", "n5"]);
    await expect(
      store.listNodes({ limit: 1, state: "active", cursor: first.cursor as string }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
