import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { CorruptRecordError } from "../../../shared/store/index.ts";
import { countingStore, createTestStore, node, type TestStore } from "./helpers.ts";

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-claim-snapshot");
});

describe("the MAC claim carries the node's record", () => {
  it("finds a known machine with one GetItem, and follows every write of the node", async () => {
    const mac = "52:54:00:99:00:01";
    await t.store.putNode(node({ id: "snap", macs: [mac], state: "available" }));
    const { store, counts } = await countingStore(t);
    expect(await store.findNodeByMac(mac)).toEqual(await t.store.getNode("snap"));
    expect(counts()).toEqual({ GetItem: 1 });
    await store.putNode(node({ id: "snap", macs: [mac, "52:54:00:99:00:02"], state: "active" }));
    const found = await store.findNodeByMac("52:54:00:99:00:02");
    expect(found?.state).toBe("active");
    expect(await store.findNodeByMac(mac)).toEqual(found);
    // A MAC the node gives up is released with its snapshot; the other still finds it.
    await store.putNode(node({ id: "snap", macs: ["52:54:00:99:00:02"], state: "active" }));
    expect(await store.findNodeByMac(mac)).toBeUndefined();
    await store.deleteNode("snap");
    expect(await store.findNodeByMac("52:54:00:99:00:02")).toBeUndefined();
  });

  it("leaves the node's reports and inventory out of the claim: a boot read stays small", async () => {
    const mac = "52:54:00:99:00:05";
    const inventory = { memory_mib: 4096, cpu: { count: 8, model: "x".repeat(200) } };
    await t.store.putNode(node({ id: "inv", macs: [mac], state: "manageable", inventory }));
    const { Item } = await t.raw.send(
      new GetCommand({ TableName: t.table, Key: { pk: "MAC#525400990005", sk: "CLAIM" } }),
    );
    expect(JSON.parse(String(Item?.node))).not.toHaveProperty("inventory");
    const booted = await t.store.findNodeByMac(mac);
    expect(booted?.state).toBe("manageable");
    expect(booted?.inventory).toBeUndefined();
    // The node item keeps it.
    expect((await t.store.getNode("inv"))?.inventory).toEqual(inventory);
  });

  it("a claim written without the record (an older table) costs a second read, same answer", async () => {
    const mac = "52:54:00:99:00:03";
    await t.store.putNode(node({ id: "older", macs: [mac] }));
    const key = { pk: "MAC#525400990003", sk: "CLAIM" };
    const { Item } = await t.raw.send(new GetCommand({ TableName: t.table, Key: key }));
    const { node: _snapshot, ...claim } = Item as Record<string, unknown>;
    await t.raw.send(new PutCommand({ TableName: t.table, Item: claim }));
    const { store, counts } = await countingStore(t);
    expect((await store.findNodeByMac(mac))?.id).toBe("older");
    expect(counts()).toEqual({ GetItem: 2 });
  });

  it("a corrupt record in the claim is CorruptRecordError naming the claim", async () => {
    const mac = "52:54:00:99:00:04";
    await t.store.putNode(node({ id: "bent", macs: [mac] }));
    const key = { pk: "MAC#525400990004", sk: "CLAIM" };
    const { Item } = await t.raw.send(new GetCommand({ TableName: t.table, Key: key }));
    const bent: Record<string, unknown>[] = [
      ...["{not json", JSON.stringify({ id: "bent" }), JSON.stringify({ id: "x" })].map((bad) => ({
        ...Item,
        node: bad,
      })),
      { ...Item, node: 42 }, // not a string
      { ...Item, nodeId: 7 },
      { pk: key.pk, sk: key.sk }, // no nodeId at all
    ];
    for (const bad of bent) {
      await t.raw.send(new PutCommand({ TableName: t.table, Item: bad }));
      const error = await t.store.findNodeByMac(mac).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect(String((error as Error).message)).toContain("MAC#525400990004");
    }
  });
});
