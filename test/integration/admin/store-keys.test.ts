import { createServer, type Socket } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ARCHES } from "../../../shared/model/index.ts";
import {
  type AdminStore,
  createDynamoStore,
  ensureTable,
  InvalidRecordError,
  LOCAL_CREDENTIALS,
  StoreUnavailableError,
} from "../../../shared/store/index.ts";
import { claimProblems, createTestStore, node, type TestStore } from "../store/helpers.ts";
import { image } from "./helpers.ts";

/** The admin extensions of the store, checked at the item level (shared/store/table.ts). */

let t: TestStore;
beforeAll(async () => {
  t = await createTestStore("admin-keys");
  for (const id of ["k", "r"]) await t.store.putImage(image(id));
});

const usage = (imageId: string, nodeId: string) =>
  t.raw
    .send(
      new GetCommand({
        TableName: t.table,
        Key: { pk: `IMAGE#${imageId}`, sk: `USEDBY#${nodeId}` },
      }),
    )
    .then((r) => r.Item);

describe("image usage items", () => {
  it("follow the node's references, and a lost one is repaired by the next write", async () => {
    await t.store.putNode(
      node({ id: "u", macs: ["02:00:00:00:5a:01"], deploy: { kernel: "k", ramdisk: "r" } }),
    );
    expect(await usage("k", "u")).toMatchObject({ nodeId: "u" });
    expect(await usage("r", "u")).toMatchObject({ nodeId: "u" });
    await t.raw.send(
      new DeleteCommand({ TableName: t.table, Key: { pk: "IMAGE#k", sk: "USEDBY#u" } }),
    );
    await t.store.putNode(
      node({ id: "u", macs: ["02:00:00:00:5a:01"], deploy: { kernel: "k", ramdisk: "r" } }),
    );
    expect(await usage("k", "u")).toBeDefined();
    await t.store.putNode(
      node({ id: "u", macs: ["02:00:00:00:5a:01"], rescue: { kernel: "r", ramdisk: "r" } }),
    );
    expect(await usage("k", "u")).toBeUndefined();
    expect(await usage("r", "u")).toBeDefined();
    await t.store.deleteNode("u");
    expect(await usage("r", "u")).toBeUndefined();
  });

  it("a node may still name images that do not exist, unless requireImages", async () => {
    await t.store.putNode(
      node({
        id: "lenient",
        macs: ["02:00:00:00:5a:02"],
        deploy: { kernel: "k", ramdisk: "nope" },
      }),
    );
    expect(await t.store.getNode("lenient")).toBeDefined();
    await expect(
      t.store.writeNode(
        node({
          id: "strict",
          macs: ["02:00:00:00:5a:03"],
          deploy: { kernel: "k", ramdisk: "nope" },
        }),
        {
          requireImages: true,
        },
      ),
    ).rejects.toMatchObject({ name: "UnknownImageError", imageIds: ["nope"] });
    expect(await t.store.getNode("strict")).toBeUndefined();
    expect(await t.store.findNodeByMac("02:00:00:00:5a:03")).toBeUndefined();
  });

  it("a write too large for one transaction is refused whole, with a way out", async () => {
    const images = ARCHES.flatMap((arch) =>
      ["deploy", "rescue", "instance"].flatMap((p) => [`${arch}-${p}-k`, `${arch}-${p}-r`]),
    );
    await Promise.all(images.map((id) => t.store.putImage(image(id))));
    const macs = (prefix: string) =>
      Array.from(
        { length: 32 },
        (_, i) => `02:00:00:${prefix}:00:${i.toString(16).padStart(2, "0")}`,
      );
    await t.store.putNode(node({ id: "huge", macs: macs("5b") }));
    const archImages = Object.fromEntries(
      ARCHES.map((arch) => [
        arch,
        Object.fromEntries(
          ["deploy", "rescue", "instance"].map((p) => [
            p,
            { kernel: `${arch}-${p}-k`, ramdisk: `${arch}-${p}-r` },
          ]),
        ),
      ]),
    );
    const error = await t.store
      .putNode(node({ id: "huge", macs: macs("5c"), arch_images: archImages }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect((error as Error).message).toMatch(
      /change the MACs or add the images over several writes/,
    );
    expect((await t.store.getNode("huge"))?.macs).toEqual(macs("5b"));
    // In steps it works: the MACs first, then the images, half at a time.
    await t.store.putNode(node({ id: "huge", macs: macs("5c") }));
    const half = Object.fromEntries(Object.entries(archImages).slice(0, 4));
    await t.store.putNode(node({ id: "huge", macs: macs("5c"), arch_images: half }));
    await t.store.putNode(node({ id: "huge", macs: macs("5c"), arch_images: archImages }));
    expect(await usage(images.at(-1) as string, "huge")).toBeDefined();
    expect(await claimProblems(t)).toEqual([]);
  });
});

describe("listing index", () => {
  it("lists nodes written by other tools only once the store rewrites them", async () => {
    const fresh = await createTestStore("admin-keys-seeded");
    await fresh.raw.send(
      new PutCommand({
        TableName: fresh.table,
        Item: {
          pk: "NODE#seeded",
          sk: "NODE",
          _et: "Node",
          name: "s",
          macs: ["02:00:00:00:5d:01"],
          state: "active",
        },
      }),
    );
    expect((await fresh.store.listNodes({ limit: 10 })).items).toEqual([]);
    await fresh.store.putNode(node({ id: "seeded", macs: ["02:00:00:00:5d:01"], state: "active" }));
    expect((await fresh.store.listNodes({ limit: 10 })).items.map((n) => n.id)).toEqual(["seeded"]);
  });

  it("ensureTable adds gsi1 to a table created before it existed", async () => {
    const endpoint = inject("dynamodbEndpoint");
    const client = new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
    });
    const table = `admin-keys-old-${Date.now()}`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
      }),
    );
    await ensureTable(client, table);
    await ensureTable(client, table);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: "gsi1",
        IndexStatus: "ACTIVE",
        KeySchema: [
          { AttributeName: "gsi1pk", KeyType: "HASH" },
          { AttributeName: "gsi1sk", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      }),
    ]);
    const store = createDynamoStore({ table, endpoint, region: "us-east-1", timeoutMs: 5000 });
    await store.putImage(image("listed"));
    expect((await store.listImages({ limit: 5 })).items.map((i) => i.id)).toEqual(["listed"]);
    client.destroy();
  });
});

describe("boot history items", () => {
  it("hides entries past their TTL that DynamoDB has not deleted yet", async () => {
    await t.store.putNode(node({ id: "h", macs: ["02:00:00:00:5e:01"] }));
    await t.raw.send(
      new PutCommand({
        TableName: t.table,
        Item: {
          pk: "NODE#h",
          sk: "BOOT#2000-01-01T00:00:00.000Z#00000000",
          at: "2000-01-01T00:00:00.000Z",
          node: "h",
          attempt: 0,
          outcome: "boot",
          url_mode: "artifacts",
          ttl: 946_684_860,
        },
      }),
    );
    await t.store.recordBoot(
      { at: new Date().toISOString(), node: "h", attempt: 1, outcome: "boot", url_mode: "swift" },
      3600,
    );
    const page = await t.store.listBoots("h", { limit: 10 });
    expect(page.items.map((b) => b.attempt)).toEqual([1]);
  });
});

describe("the admin methods fail within the store's time budget when DynamoDB is silent", () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  let store: AdminStore;
  beforeAll(async () => {
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    store = createDynamoStore({
      table: "x",
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      timeoutMs: 600,
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it.each([
    ["listNodes", (s: AdminStore) => s.listNodes({ limit: 10 })],
    ["listImages", (s: AdminStore) => s.listImages({ limit: 10 })],
    ["getNodeVersioned", (s: AdminStore) => s.getNodeVersioned("a")],
    ["writeImage", (s: AdminStore) => s.writeImage(image("a"))],
    ["deleteImage", (s: AdminStore) => s.deleteImage("a")],
    ["listBoots", (s: AdminStore) => s.listBoots("a", { limit: 5 })],
    [
      "recordBoot",
      (s: AdminStore) =>
        s.recordBoot(
          {
            at: new Date().toISOString(),
            node: "a",
            attempt: 0,
            outcome: "boot",
            url_mode: "swift",
          },
          60,
        ),
    ],
  ])("%s", async (_name, run) => {
    const started = performance.now();
    const error = await run(store).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(600 * 1.2 + 150);
  });
});
