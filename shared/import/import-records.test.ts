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
      skipped: 0,
    });
    expect((await importRecords(store, doc)).counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 3,
      failed: 0,
      skipped: 0,
    });
    const changed = { ...doc, images: [{ ...kernel, name: "Kernel 2" }, ramdisk] };
    const report = await importRecords(store, changed);
    expect(report.records.map((r) => r.outcome)).toEqual(["updated", "unchanged", "unchanged"]);
  });

  const badFile = {
    images: [
      { id: "bad/id", name: "x", swift: { object: "o" } },
      { name: "nameless" },
      kernel,
      kernel,
    ],
    nodes: [
      deployNode("n0", ["52:54:00:12:34:56"]),
      deployNode("n1", [525400123457]),
      {
        id: "n2",
        name: "rack1-node7",
        macs: ["52:54:00:12:34:ZZ"],
        state: "deploying",
        colour: "red",
        deploy: { kernel: "k", ramdisk: "r", extra: 1 },
      },
      deployNode("n0", ["52:54:00:12:34:58"]),
      "not even an object",
      deployNode("n5", ["52:54:00:12:34:59"], { rescue: { kernel: "k", ramdisk: "missing" } }),
      deployNode("n6", ["52:54:00:12:34:56"]),
      deployNode("n7", ["52:54:00:12:34:60"], { state: "exploded" }),
    ],
  };
  const badFileErrors = [
    "images[0] (bad/id): id: must be 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit",
    "images[1] (nameless): id: Invalid input: expected string, received undefined; swift: Invalid input: expected object, received undefined",
    "images[3] (k): id: duplicate of images[2] (k)",
    "nodes[1] (name-n1): macs.0: Invalid input: expected string, received number (quote it in YAML)",
    "nodes[2] (rack1-node7): macs.0: must be a MAC address such as 52:54:00:ab:cd:ef, 52-54-00-ab-cd-ef or 525400abcdef; deploy.extra: unknown field (check its spelling); colour: unknown field (check its spelling)",
    "nodes[3] (name-n0): id: duplicate of nodes[0] (name-n0)",
    "nodes[4]: (root): Invalid input: expected object, received string",
    'nodes[5] (name-n5): rescue.ramdisk: unknown image "missing" (not in this file or the store)',
    "nodes[6] (name-n6): macs.0: MAC 52:54:00:12:34:56 is also in nodes[0] (name-n0)",
    'nodes[7] (name-n7): state: Invalid option: expected one of "enroll"|"manageable"|"inspecting"|"available"|"deploying"|"active"|"rescuing"|"rescue"|"unrescuing"|"deleting"|"cleaning"|"error"',
  ];

  it("checks the whole file first: every problem by record and field, and nothing written", async () => {
    const store = fixedStore([], [kernel, ramdisk]);
    const report = await importRecords(store, badFile);
    expect(report.records.flatMap((r) => r.error ?? [])).toEqual(badFileErrors);
    expect(report.blocked).toBe(true);
    expect(report.records.filter((r) => r.outcome === "skipped").map((r) => r.record)).toEqual([
      "images[2] (k)",
      "nodes[0] (name-n0)",
    ]);
    expect(report.counts).toEqual({ created: 0, updated: 0, unchanged: 0, failed: 10, skipped: 2 });
    expect(await store.getNode("n0")).toBeUndefined();
    const byField = report.records.find((r) => r.record === "nodes[2] (rack1-node7)")?.problems;
    expect(byField?.map((p) => p.path)).toEqual(["macs.0", "deploy.extra", "colour"]);
  });

  it("with partial, writes the valid records and reports the rest", async () => {
    const store = fixedStore([], [kernel, ramdisk]);
    const report = await importRecords(store, badFile, { partial: true });
    expect(report.records.flatMap((r) => r.error ?? [])).toEqual(badFileErrors);
    expect(report.counts).toEqual({ created: 1, updated: 0, unchanged: 1, failed: 10, skipped: 0 });
    expect((await store.getNode("n0"))?.macs).toEqual(["52:54:00:12:34:56"]);
    expect(await store.getNode("n6")).toBeUndefined();
  });

  it("dry run: says what would be created, updated or unchanged, and writes nothing", async () => {
    const store = fixedStore(
      [deployNode("n0", ["52:54:00:12:34:56"]) as NodeInput],
      [kernel, ramdisk],
    );
    const report = await importRecords(
      store,
      {
        images: [kernel, { ...ramdisk, name: "Ramdisk 2" }],
        nodes: [deployNode("n0", ["52:54:00:12:34:56"]), deployNode("n1", ["52:54:00:12:34:57"])],
      },
      { dryRun: true },
    );
    expect(report.dryRun).toBe(true);
    expect(report.records.map((r) => `${r.record} ${r.outcome}`)).toEqual([
      "images[0] (k) unchanged",
      "images[1] (r) updated",
      "nodes[0] (name-n0) unchanged",
      "nodes[1] (name-n1) created",
    ]);
    expect(await store.getNode("n1")).toBeUndefined();
    expect((await store.getImage("r"))?.name).toBe("Ramdisk");
  });

  it("refuses a MAC another node holds, before writing anything", async () => {
    const store = fixedStore(
      [deployNode("old", ["52:54:00:12:34:56"]) as NodeInput],
      [kernel, ramdisk],
    );
    const report = await importRecords(store, {
      nodes: [deployNode("new", ["52:54:00:12:34:56"]), deployNode("n1", ["52:54:00:12:34:57"])],
    });
    expect(report.records.map((r) => r.error ?? r.outcome)).toEqual([
      "nodes[0] (name-new): macs.0: MAC 52:54:00:12:34:56 already belongs to node old",
      "skipped",
    ]);
    expect(await store.getNode("n1")).toBeUndefined();
  });

  it("writes over the version a record carries, and refuses a stale one", async () => {
    const store = fixedStore(
      [deployNode("n0", ["52:54:00:12:34:56"]) as NodeInput],
      [kernel, ramdisk],
    );
    const stored = await store.getNodeVersioned("n0");
    const edited = { ...deployNode("n0", ["52:54:00:12:34:56"]), kernel_args: "quiet" };
    const stale = await importRecords(store, {
      nodes: [{ ...edited, version: (stored?.version ?? 0) + 1 }],
    });
    expect(stale.records[0]?.error).toMatch(
      /^nodes\[0\] \(name-n0\): version: is \d+ in the file, but \d+ in the store/,
    );
    const fresh = await importRecords(store, { nodes: [{ ...edited, version: stored?.version }] });
    expect(fresh.records[0]).toMatchObject({
      outcome: "updated",
      version: (stored?.version ?? 0) + 1,
    });
    const bad = await importRecords(store, { nodes: [{ ...edited, version: "3" }] });
    expect(bad.records[0]?.problems?.[0]?.path).toBe("version");
  });

  it("reports progress up to the number of valid records", async () => {
    const seen: string[] = [];
    await importRecords(
      emptyStore(),
      { images: [kernel, ramdisk], nodes: [deployNode("n", ["52:54:00:12:34:56"])] },
      { onProgress: (done, total) => seen.push(`${done}/${total}`) },
    );
    expect(seen.at(-1)).toBe("3/3");
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
    expect(report.counts).toEqual({ created: 7, updated: 0, unchanged: 0, failed: 0, skipped: 0 });
    const node = await store.findNodeByMac("52:54:00:12:34:56");
    expect(node?.state).toBe("deploying");
    for (const image of demoDocument.images)
      expect(image.origin).toMatch(/^http:\/\/127\.0\.0\.1:8080\/demo\//);
  });
});
