import { describe, expect, it } from "vitest";
import { imageSchema, type Node, nodeSchema } from "../../../shared/model/index.ts";
import {
  IdentityConflictError,
  ImageInUseError,
  InvalidCursorError,
  InvalidRecordError,
  UnknownImageError,
  VersionMismatchError,
} from "../../../shared/store/errors.ts";
import type { AdminStore } from "../../../shared/store/types.ts";

const node = (id: string, macs: string[], extra: Partial<Node> = {}) =>
  nodeSchema.parse({ id, name: id, macs, state: "available", ...extra });
const image = (id: string) => imageSchema.parse({ id, name: id, swift: { object: id } });

/**
 * What every AdminStore does, whatever holds the records: run against the in-memory store (unit
 * tier, test/support/store/memory-store.test.ts) and the DynamoDB store on DynamoDB Local
 * (integration tier, test/integration/store/contract.test.ts), as the cache adapters share
 * test/support/cache/contract.ts. `open` returns an empty store for each test.
 */
export function describeStoreContract(name: string, open: () => Promise<AdminStore>): void {
  describe(`${name}: the store contract`, () => {
    it("finds nodes by any MAC form and by UUID in any case", async () => {
      const store = await open();
      const n = node("a", ["52:54:00:12:34:56"], { uuid: "4c4c4544-0042-3510-8052-b4c04f384d32" });
      await store.putNode(n);
      for (const mac of [
        "52:54:00:12:34:56",
        "52-54-00-12-34-56",
        "525400123456",
        "52:54:00:12:34:56".toUpperCase(),
      ]) {
        expect(await store.findNodeByMac(mac)).toEqual({ ...n, state_id: expect.any(String) });
      }
      expect(await store.findNodeByUuid("4C4C4544-0042-3510-8052-B4C04F384D32")).toEqual({
        ...n,
        state_id: expect.any(String),
      });
      expect(await store.findNodeByMac("garbage")).toBeUndefined();
      expect(await store.findNodeByUuid("garbage")).toBeUndefined();
    });

    it("refuses another node's MAC or UUID, naming the holder, and changes nothing", async () => {
      const store = await open();
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
      expect(await store.getNode("b")).toEqual({ ...b, state_id: expect.any(String) });
      expect(await store.findNodeByMac("02:00:00:00:00:03")).toBeUndefined();
      expect(await store.getNode("c")).toBeUndefined();
    });

    it("releases dropped identities on update and all of them on delete", async () => {
      const store = await open();
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
      const store = await open();
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
      const store = await open();
      const bad = { ...node("a", ["02:00:00:00:00:01"]), state: "exploded" } as unknown as Node;
      await expect(store.putNode(bad)).rejects.toBeInstanceOf(InvalidRecordError);
      await expect(store.putNode(bad)).rejects.toThrow(/^record NODE#a is invalid: state: /);
    });

    it("returns only the images that exist from getImages", async () => {
      const store = await open();
      await store.putImage(imageSchema.parse({ id: "k", name: "K", swift: { object: "k" } }));
      const found = await store.getImages(["k", "missing"]);
      expect([...found.keys()]).toEqual(["k"]);
      expect(await store.getImage("missing")).toBeUndefined();
    });

    it("versions every write and honours expectedVersion (0: absent)", async () => {
      const store = await open();
      expect(
        await store.writeNode(node("v", ["02:00:00:00:00:01"]), { expectedVersion: 0 }),
      ).toEqual({
        version: 1,
        created: true,
      });
      await expect(
        store.writeNode(node("v", ["02:00:00:00:00:01"]), { expectedVersion: 0 }),
      ).rejects.toBeInstanceOf(VersionMismatchError);
      expect((await store.writeNode(node("v", ["02:00:00:00:00:01"]))).version).toBe(2);
      expect((await store.getNodeVersioned("v"))?.version).toBe(2);
      await expect(store.deleteNode("v", { expectedVersion: 1 })).rejects.toMatchObject({
        expected: 1,
        actual: 2,
      });
      expect(await store.deleteNode("v", { expectedVersion: 2 })).toBe(true);
      expect((await store.writeImage(image("i"))).version).toBe(1);
      expect((await store.writeImage(image("i"), { expectedVersion: 1 })).version).toBe(2);
    });

    it("refuses deleting an image in use, naming the users; requireImages refuses unknown ones", async () => {
      const store = await open();
      await store.putImage(image("k"));
      await store.putImage(image("r"));
      await store.putNode(
        node("u", ["02:00:00:00:00:02"], { deploy: { kernel: "k", ramdisk: "r" } }),
      );
      await expect(store.deleteImage("k")).rejects.toEqual(new ImageInUseError("k", ["u"], false));
      await expect(
        store.writeNode(
          node("w", ["02:00:00:00:00:03"], { rescue: { kernel: "k", ramdisk: "x" } }),
          {
            requireImages: true,
          },
        ),
      ).rejects.toEqual(new UnknownImageError("w", ["x"]));
      await store.deleteNode("u");
      expect(await store.deleteImage("k")).toBe(true);
      expect(await store.deleteImage("k")).toBe(false);
    });

    it("lists every node once across pages, filters by state, and binds cursors to the filter", async () => {
      // The order within a listing is the backend's (DynamoDB: by state, shard, then id).
      const store = await open();
      for (let i = 0; i < 7; i++) {
        await store.putNode(
          node(`n${i}`, [`02:00:00:00:01:0${i}`], { state: i % 2 ? "active" : "available" }),
        );
      }
      const first = await store.listNodes({ limit: 3 });
      expect(first.items).toHaveLength(3);
      expect(first.cursor).toBeDefined();
      const rest = await store.listNodes({ limit: 10, cursor: first.cursor as string });
      expect(rest.cursor).toBeUndefined();
      expect([...first.items, ...rest.items].map((n) => n.id).sort()).toEqual([
        "n0",
        "n1",
        "n2",
        "n3",
        "n4",
        "n5",
        "n6",
      ]);
      const active = await store.listNodes({ limit: 10, state: "active" });
      expect(active.items.map((n) => n.id).sort()).toEqual(["n1", "n3", "n5"]);
      await expect(
        store.listNodes({ limit: 1, state: "active", cursor: first.cursor as string }),
      ).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it("keeps boot history newest first, paginated, hiding expired entries", async () => {
      const store = await open();
      const boot = (at: string) => ({
        at,
        node: "n",
        attempt: 0,
        outcome: "boot",
        url_mode: "artifacts" as const,
      });
      await store.recordBoot(boot("2000-01-01T00:00:00.000Z"), 60); // long expired
      for (const minute of [1, 2, 3]) {
        await store.recordBoot(boot(new Date(Date.now() + minute * 60_000).toISOString()), 3600);
      }
      const page = await store.listBoots("n", { limit: 2 });
      expect(page.items).toHaveLength(2);
      const rest = await store.listBoots("n", { limit: 2, cursor: page.cursor as string });
      expect(rest.items).toHaveLength(1);
      expect(rest.cursor).toBeUndefined();
      const times = [...page.items, ...rest.items].map((b) => b.at);
      expect([...times].sort().reverse()).toEqual(times);
    });
  });
}
