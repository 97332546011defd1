import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DEMO_NODE_MAC,
  demoDocument,
  importRecords,
  parseImportDocument,
} from "../../../shared/import/index.ts";
import { claimProblems, createTestStore, type TestStore } from "./helpers.ts";

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("store-import");
});

const FILE = `
images:
  - id: ipa-kernel
    name: IPA deploy kernel
    swift: { container: images, object: ipa/deploy.kernel }
    origin: http://images.example/ipa/deploy.kernel
  - id: ipa-ramdisk
    name: IPA deploy ramdisk
    swift: { container: images, object: ipa/deploy.initramfs }
    sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
    size: 123456
nodes:
  - id: 1be26c0b-03f2-4d2d-ae87-c02d7f33c123
    name: rack1-node7
    macs: ["52:54:00:12:34:56", 52-54-00-12-34-57]
    uuid: 4C4C4544-0042-3510-8052-B4C04F384D32
    state: deploying
    deploy: { kernel: ipa-kernel, ramdisk: ipa-ramdisk }
    kernel_args: "ipa-debug=1"
  - id: rack1-node8
    name: rack1-node8
    macs: [52:54:00:12:34:58]
    state: available
    deploy: { kernel: ipa-kernel, ramdisk: ipa-ramdisk }
`;

describe("importRecords against DynamoDB", () => {
  it("creates, then reports everything unchanged on a second run", async () => {
    const doc = parseImportDocument(FILE, "yaml");
    const first = await importRecords(t.store, doc);
    expect(first.counts).toEqual({ created: 4, updated: 0, unchanged: 0, failed: 0, skipped: 0 });
    expect(first.records.map((r) => `${r.record} ${r.outcome}`)).toEqual([
      "images[0] (ipa-kernel) created",
      "images[1] (ipa-ramdisk) created",
      "nodes[0] (rack1-node7) created",
      "nodes[1] (rack1-node8) created",
    ]);
    const again = await importRecords(t.store, parseImportDocument(FILE, "yaml"));
    expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: 4, failed: 0, skipped: 0 });
    const found = await t.store.findNodeByMac("52-54-00-12-34-57");
    expect(found).toMatchObject({
      name: "rack1-node7",
      uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
    });
    expect(await claimProblems(t)).toEqual([]);
  });

  it("updates what changed, and fails a bad node alone, naming record and field", async () => {
    const changed = FILE.replace(
      'kernel_args: "ipa-debug=1"',
      'kernel_args: "ipa-debug=0"',
    ).replace("macs: [52:54:00:12:34:58]", "macs: [52:54:00:12:34:58, nonsense]");
    const blocked = await importRecords(t.store, parseImportDocument(changed, "yaml"));
    expect(blocked.counts).toEqual({ created: 0, updated: 0, unchanged: 0, failed: 1, skipped: 3 });
    expect((await t.store.getNode("1be26c0b-03f2-4d2d-ae87-c02d7f33c123"))?.kernel_args).toBe(
      "ipa-debug=1",
    );
    const report = await importRecords(t.store, parseImportDocument(changed, "yaml"), {
      partial: true,
    });
    expect(report.counts).toEqual({ created: 0, updated: 1, unchanged: 2, failed: 1, skipped: 0 });
    const failed = report.records.find((r) => r.outcome === "failed");
    expect(failed?.error).toMatch(/^nodes\[1\] \(rack1-node8\): macs\.1: must be a MAC address/);
    expect((await t.store.getNode("1be26c0b-03f2-4d2d-ae87-c02d7f33c123"))?.kernel_args).toBe(
      "ipa-debug=0",
    );
    expect((await t.store.getNode("rack1-node8"))?.macs).toEqual(["52:54:00:12:34:58"]);
  });

  it("all or nothing per node: a MAC conflict leaves the node and its other MACs unwritten", async () => {
    const report = await importRecords(t.store, {
      nodes: [
        {
          id: "newcomer",
          name: "newcomer",
          macs: ["52:54:00:99:99:99", "52:54:00:12:34:58"],
          state: "enroll",
        },
      ],
    });
    expect(report.records[0]?.error).toBe(
      "nodes[0] (newcomer): macs.1: MAC 52:54:00:12:34:58 already belongs to node rack1-node8",
    );
    expect(await t.store.getNode("newcomer")).toBeUndefined();
    expect(await t.store.findNodeByMac("52:54:00:99:99:99")).toBeUndefined();
    expect(await claimProblems(t)).toEqual([]);
  });

  it("accepts images already in the store, rejects unknown ones", async () => {
    const report = await importRecords(
      t.store,
      {
        nodes: [
          {
            id: "uses-stored",
            name: "uses-stored",
            macs: ["52:54:00:aa:00:01"],
            state: "deploying",
            deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
          },
          {
            id: "uses-missing",
            name: "uses-missing",
            macs: ["52:54:00:aa:00:02"],
            state: "deploying",
            deploy: { kernel: "ipa-kernel", ramdisk: "nope" },
          },
        ],
      },
      { partial: true },
    );
    expect(report.records.map((r) => r.outcome)).toEqual(["created", "failed"]);
    expect(report.records[1]?.error).toBe(
      'nodes[1] (uses-missing): deploy.ramdisk: unknown image "nope" (not in this file or the store)',
    );
    expect(await t.store.getNode("uses-missing")).toBeUndefined();
  });

  it("moves a MAC between nodes in one file whatever their order", async () => {
    // rack1-node8 gives up ...:58 to a new node listed before it.
    const report = await importRecords(t.store, {
      nodes: [
        { id: "taker", name: "taker", macs: ["52:54:00:12:34:58"], state: "enroll" },
        {
          id: "rack1-node8",
          name: "rack1-node8",
          macs: ["52:54:00:12:34:59"],
          state: "available",
          deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
        },
      ],
    });
    expect(report.records.map((r) => `${r.id} ${r.outcome}`)).toEqual([
      "taker created",
      "rack1-node8 updated",
    ]);
    expect((await t.store.findNodeByMac("52:54:00:12:34:58"))?.id).toBe("taker");
    expect(await claimProblems(t)).toEqual([]);
  });

  it("overwrites a corrupt stored node or image (reported as updated)", async () => {
    await t.raw.send(
      new PutCommand({
        TableName: t.table,
        Item: {
          pk: "NODE#corrupt",
          sk: "NODE",
          version: 3,
          name: "c",
          macs: ["02:00:00:00:ee:01"],
          state: "??",
        },
      }),
    );
    await t.raw.send(
      new PutCommand({
        TableName: t.table,
        Item: { pk: "IMAGE#corrupt-image", sk: "IMAGE", name: 5 },
      }),
    );
    const report = await importRecords(t.store, {
      images: [{ id: "corrupt-image", name: "fixed", swift: { object: "o" } }],
      nodes: [{ id: "corrupt", name: "c", macs: ["02:00:00:00:ee:02"], state: "enroll" }],
    });
    expect(report.records.map((r) => r.outcome)).toEqual(["updated", "updated"]);
    expect((await t.store.getNode("corrupt"))?.macs).toEqual(["02:00:00:00:ee:02"]);
    expect((await t.store.getImage("corrupt-image"))?.name).toBe("fixed");
  });

  it("loads the demo data set into an empty table, idempotently", async () => {
    const fresh = await createTestStore("store-demo");
    const first = await importRecords(fresh.store, demoDocument);
    expect(first.counts).toEqual({ created: 7, updated: 0, unchanged: 0, failed: 0, skipped: 0 });
    const again = await importRecords(fresh.store, demoDocument);
    expect(again.counts.unchanged).toBe(7);
    const demo = await fresh.store.findNodeByMac(DEMO_NODE_MAC);
    expect(demo?.state).toBe("deploying");
    const images = await fresh.store.getImages([
      demo?.deploy?.kernel ?? "",
      demo?.deploy?.ramdisk ?? "",
    ]);
    expect(images.size).toBe(2);
  });
});
