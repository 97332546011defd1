import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { type Image, imageSchema } from "../../../shared/model/index.ts";
import { ensureTable } from "../../../shared/store/index.ts";
import { claimProblems, createTestStore, node, type TestStore } from "./helpers.ts";

/** A node as the store returns it: with the state_id the store drew for it. */
const stored = <T extends object>(node: T) => ({ ...node, state_id: expect.any(String) });

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-crud");
});

const image = (id: string, extra: Partial<Image> = {}) =>
  imageSchema.parse({ id, name: `Image ${id}`, swift: { object: `objects/${id}` }, ...extra });

describe("ensureTable", () => {
  it("is idempotent and leaves an on-demand table with TTL on `ttl`", async () => {
    await ensureTable(t.store.client, t.table);
    await ensureTable(t.store.client, t.table);
    const { Table } = await t.store.client.send(new DescribeTableCommand({ TableName: t.table }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    const ttl = await t.store.client.send(new DescribeTimeToLiveCommand({ TableName: t.table }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "ttl",
    });
  });
});

describe("images", () => {
  it("puts, reads back and replaces an image", async () => {
    const full = image("ipa-kernel", {
      swift: { container: "images", object: "ipa/deploy.kernel" },
      origin: "http://images.example/ipa/deploy.kernel",
      size: 1234,
      sha256: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
    });
    await t.store.putImage(full);
    expect(await t.store.getImage("ipa-kernel")).toEqual(full);
    expect(full.sha256).toBe("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    const replaced = image("ipa-kernel", { name: "Renamed" });
    await t.store.putImage(replaced);
    expect(await t.store.getImage("ipa-kernel")).toEqual(replaced);
  });

  it("stores images under IMAGE#<id> / IMAGE", async () => {
    await t.store.putImage(image("layout-check"));
    const { Item } = await t.raw.send(
      new GetCommand({ TableName: t.table, Key: { pk: "IMAGE#layout-check", sk: "IMAGE" } }),
    );
    expect(Item).toMatchObject({
      name: "Image layout-check",
      swift: { object: "objects/layout-check" },
    });
  });

  it("returns undefined for a missing or impossible id", async () => {
    expect(await t.store.getImage("nope")).toBeUndefined();
    expect(await t.store.getImage("not an id!")).toBeUndefined();
  });

  it("batch-reads images, leaving missing ids out", async () => {
    await Promise.all(["b1", "b2", "b3"].map((id) => t.store.putImage(image(id))));
    const found = await t.store.getImages(["b1", "missing", "b3", "b1", "bad id"]);
    expect([...found.keys()].sort()).toEqual(["b1", "b3"]);
    expect(found.get("b3")).toEqual(image("b3"));
    expect((await t.store.getImages([])).size).toBe(0);
  });

  it("batch-reads more than one BatchGetItem request's worth (100 keys)", async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `many-${i}`);
    await Promise.all(ids.filter((_, i) => i % 2 === 0).map((id) => t.store.putImage(image(id))));
    const found = await t.store.getImages(ids);
    expect(found.size).toBe(65);
    expect(found.has("many-128")).toBe(true);
    expect(found.has("many-129")).toBe(false);
  });
});

describe("nodes", () => {
  const uuid = "4c4c4544-0042-3510-8052-b4c04f384d32";
  const rack = () =>
    node({
      id: "1be26c0b-03f2-4d2d-ae87-c02d7f33c123",
      name: "rack1-node7",
      macs: ["52:54:00:12:34:56", "52-54-00-AB-CD-EF"],
      uuid: uuid.toUpperCase(),
      state: "deploying",
      deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
      rescue: { kernel: "r-k", ramdisk: "r-r" },
      instance: { kernel: "i-k", ramdisk: "i-r", boot: "netboot" },
      kernel_args: "ipa-debug=1 console=ttyS0,115200",
      arch_images: { arm64: { deploy: { kernel: "ipa-kernel-arm", ramdisk: "ipa-ramdisk-arm" } } },
    });

  it("puts a node with every field and reads it back by id, MAC (every form) and UUID", async () => {
    const n = rack();
    await t.store.putNode(n);
    expect(await t.store.getNode(n.id)).toEqual(stored(n));
    for (const form of [
      "52:54:00:12:34:56",
      "52-54-00-12-34-56",
      "525400123456",
      "52:54:00:AB:CD:EF",
      "52-54-00-ab-cd-ef",
      "525400ABCDEF",
    ]) {
      expect(await t.store.findNodeByMac(form), form).toEqual(stored(n));
    }
    expect(await t.store.findNodeByUuid(uuid)).toEqual(stored(n));
    expect(await t.store.findNodeByUuid(uuid.toUpperCase())).toEqual(stored(n));
    expect(await claimProblems(t)).toEqual([]);
  });

  it("is idempotent: putting the same node again succeeds and changes nothing", async () => {
    const n = rack();
    await t.store.putNode(n);
    await t.store.putNode(n);
    expect(await t.store.getNode(n.id)).toEqual(stored(n));
    expect(await claimProblems(t)).toEqual([]);
  });

  it("answers undefined for unknown, malformed or unclaimed identities", async () => {
    expect(await t.store.findNodeByMac("52:54:00:00:00:00")).toBeUndefined();
    expect(await t.store.findNodeByMac("not-a-mac")).toBeUndefined();
    expect(await t.store.findNodeByUuid("00000000-0000-0000-0000-000000000000")).toBeUndefined();
    expect(await t.store.findNodeByUuid("nope")).toBeUndefined();
    expect(await t.store.getNode("missing")).toBeUndefined();
  });

  it("updates a node: dropped MACs and a changed UUID are released, new ones claimed", async () => {
    const before = node({
      id: "upd",
      macs: ["02:00:00:00:00:01", "02:00:00:00:00:02"],
      uuid: "11111111-1111-1111-1111-111111111111",
    });
    await t.store.putNode(before);
    const after = node({
      id: "upd",
      macs: ["02:00:00:00:00:02", "02:00:00:00:00:03"],
      uuid: "22222222-2222-2222-2222-222222222222",
      state: "active",
    });
    await t.store.putNode(after);
    expect(await t.store.findNodeByMac("02:00:00:00:00:01")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:00:03")).toEqual(stored(after));
    expect(await t.store.findNodeByUuid("11111111-1111-1111-1111-111111111111")).toBeUndefined();
    expect(await t.store.findNodeByUuid("22222222-2222-2222-2222-222222222222")).toEqual(
      stored(after),
    );
    const dropUuid = node({ id: "upd", macs: ["02:00:00:00:00:02"] });
    await t.store.putNode(dropUuid);
    expect(await t.store.findNodeByUuid("22222222-2222-2222-2222-222222222222")).toBeUndefined();
    expect(await t.store.getNode("upd")).toEqual(stored(dropUuid));
    expect(await claimProblems(t)).toEqual([]);
  });

  it("deletes a node and releases its claims, so another node can take them", async () => {
    const n = node({
      id: "del",
      macs: ["02:00:00:00:0d:01"],
      uuid: "33333333-3333-3333-3333-333333333333",
    });
    await t.store.putNode(n);
    expect(await t.store.deleteNode("del")).toBe(true);
    expect(await t.store.deleteNode("del")).toBe(false);
    expect(await t.store.getNode("del")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:0d:01")).toBeUndefined();
    expect(await t.store.findNodeByUuid("33333333-3333-3333-3333-333333333333")).toBeUndefined();
    const taker = node({
      id: "taker",
      macs: ["02:00:00:00:0d:01"],
      uuid: "33333333-3333-3333-3333-333333333333",
    });
    await t.store.putNode(taker);
    expect(await t.store.findNodeByMac("02:00:00:00:0d:01")).toEqual(stored(taker));
    expect(await claimProblems(t)).toEqual([]);
  });

  it("handles a node with the maximum of 32 MACs (one transaction of 33+ items)", async () => {
    const macs = Array.from(
      { length: 32 },
      (_, i) => `02:00:00:00:32:${i.toString(16).padStart(2, "0")}`,
    );
    const n = node({ id: "many-macs", macs, uuid: "44444444-4444-4444-4444-444444444444" });
    await t.store.putNode(n);
    // Replace every MAC: 32 releases + 32 claims + node + UUID in one transaction.
    const moved = node({ id: "many-macs", macs: macs.map((m) => m.replace(":32:", ":33:")) });
    await t.store.putNode(moved);
    expect(await t.store.findNodeByMac(macs[5] ?? "")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:33:1f")).toEqual(stored(moved));
    expect(await claimProblems(t)).toEqual([]);
  });
});
