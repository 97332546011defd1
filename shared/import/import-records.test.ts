import { describe, expect, it } from "vitest";
import { brokenStore, emptyStore, fixedStore } from "../../test/support/store/index.ts";
import type { NodeInput } from "../model/index.ts";
import { StoreUnavailableError } from "../store/errors.ts";
import { demoDocument } from "./demo.ts";
import { parseImportDocument } from "./document.ts";
import { importRecords } from "./import-records.ts";

const kernel = { id: "k", name: "Kernel", swift: { object: "k" } };
const ramdisk = { id: "r", name: "Ramdisk", swift: { object: "r" } };
const deployNode = (id: string, macs: unknown[], extra: Record<string, unknown> = {}) => ({
  id,
  name: `name-${id}`,
  macs,
  state: "deploying" as const,
  deploy: { kernel: "k", ramdisk: "r" },
  ...extra,
});

describe("importRecords", () => {
  it("imports images, then nodes, and a second run changes nothing", async () => {
    const store = emptyStore();
    const doc = { images: [kernel, ramdisk], nodes: [deployNode("n1", ["52:54:00:12:34:56"])] };
    expect((await importRecords(store, doc)).counts).toEqual({
      created: 3,
      updated: 0,
      unchanged: 0,
      failed: 0,
    });
    expect((await importRecords(store, doc)).counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 3,
      failed: 0,
    });
    const changed = { ...doc, images: [{ ...kernel, name: "Kernel 2" }, ramdisk] };
    const report = await importRecords(store, changed);
    expect(report.records.map((r) => r.outcome)).toEqual(["updated", "unchanged", "unchanged"]);
  });

  it("names record and field in every failure", async () => {
    const store = fixedStore([], [kernel, ramdisk]);
    const report = await importRecords(store, {
      images: [
        { id: "bad/id", name: "x", swift: { object: "o" } },
        { name: "nameless" },
        kernel,
        kernel,
      ],
      nodes: [
        deployNode("n0", ["52:54:00:12:34:56"]),
        deployNode("n1", [525400123457]),
        { id: "n2", name: "rack1-node7", macs: ["52:54:00:12:34:ZZ"], state: "deploying" },
        deployNode("n0", ["52:54:00:12:34:58"]),
        "not even an object",
        deployNode("n5", ["52:54:00:12:34:59"], { rescue: { kernel: "k", ramdisk: "missing" } }),
        deployNode("n6", ["52:54:00:12:34:56"]),
      ],
    });
    expect(report.records.map((r) => r.error ?? r.outcome)).toEqual([
      "images[0] (bad/id): id: must be 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit",
      "images[1] (nameless): id: Invalid input: expected string, received undefined; swift: Invalid input: expected object, received undefined",
      "unchanged",
      "images[3] (k): id: duplicate of images[2] (k)",
      "created",
      "nodes[1] (name-n1): macs.0: Invalid input: expected string, received number (quote it in YAML)",
      "nodes[2] (rack1-node7): macs.0: must be a MAC address such as 52:54:00:ab:cd:ef, 52-54-00-ab-cd-ef or 525400abcdef",
      "nodes[3] (name-n0): id: duplicate of nodes[0] (name-n0)",
      "nodes[4]: (root): Invalid input: expected object, received string",
      'nodes[5] (name-n5): rescue.ramdisk: unknown image "missing" (not in this file or the store)',
      "nodes[6] (name-n6): macs.0: MAC 52:54:00:12:34:56 already belongs to node n0",
    ]);
    expect(report.counts).toEqual({ created: 1, updated: 0, unchanged: 1, failed: 9 });
    expect(await store.getNode("n6")).toBeUndefined();
  });

  it("does not count images that failed validation as being in the file", async () => {
    const report = await importRecords(emptyStore(), {
      images: [{ ...kernel, swift: { object: "/abs" } }, ramdisk],
      nodes: [deployNode("n", ["52:54:00:12:34:56"])],
    });
    expect(report.records.at(-1)?.error).toBe(
      'nodes[0] (name-n): deploy.kernel: unknown image "k" (not in this file or the store)',
    );
  });

  it("retries nodes whose MAC another node in the file gives up later", async () => {
    const store = fixedStore(
      [deployNode("old", ["52:54:00:12:34:56"]) as NodeInput],
      [kernel, ramdisk],
    );
    const report = await importRecords(store, {
      nodes: [deployNode("new", ["52:54:00:12:34:56"]), deployNode("old", ["52:54:00:12:34:57"])],
    });
    expect(report.records.map((r) => `${r.id} ${r.outcome}`)).toEqual([
      "new created",
      "old updated",
    ]);
  });

  it("stops at an unreachable store: re-running is safe", async () => {
    await expect(importRecords(brokenStore(), { images: [kernel] })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it("reads the documented file format", async () => {
    const yaml = `
images:
  - id: ipa-kernel
    name: IPA deploy kernel
    swift: { container: images, object: ipa/deploy.kernel }
    origin: http://images.example/ipa/deploy.kernel
    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    size: 42
  - { id: ipa-ramdisk, name: IPA deploy ramdisk, swift: { object: ipa/deploy.initramfs } }
nodes:
  - id: 1be26c0b-03f2-4d2d-ae87-c02d7f33c123
    name: rack1-node7
    macs: ["52:54:00:12:34:56"]
    uuid: 4c4c4544-0042-3510-8052-b4c04f384d32
    state: deploying
    deploy: { kernel: ipa-kernel, ramdisk: ipa-ramdisk }
    rescue: { kernel: ipa-kernel, ramdisk: ipa-ramdisk }
    instance: { kernel: ipa-kernel, ramdisk: ipa-ramdisk, boot: netboot }
    kernel_args: "ipa-debug=1"
`;
    const store = emptyStore();
    const report = await importRecords(store, parseImportDocument(yaml, "yaml"));
    expect(report.counts.created).toBe(3);
    expect((await store.findNodeByUuid("4c4c4544-0042-3510-8052-b4c04f384d32"))?.name).toBe(
      "rack1-node7",
    );
  });
});

describe("demoDocument", () => {
  it("is valid and self-contained", async () => {
    const store = emptyStore();
    const report = await importRecords(store, demoDocument);
    expect(report.counts).toEqual({ created: 7, updated: 0, unchanged: 0, failed: 0 });
    const node = await store.findNodeByMac("52:54:00:12:34:56");
    expect(node?.state).toBe("deploying");
    for (const image of demoDocument.images)
      expect(image.origin).toMatch(/^http:\/\/127\.0\.0\.1:8080\/demo\//);
  });
});
