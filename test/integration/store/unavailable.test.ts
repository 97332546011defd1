import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Image, Node } from "../../../shared/model/index.ts";
import {
  type AdminStore,
  createDynamoStore,
  StoreUnavailableError,
} from "../../../shared/store/index.ts";
import { node } from "./helpers.ts";

/** Every AdminStore method, so none escapes the time bound. */
const calls: [string, (s: AdminStore) => Promise<unknown>][] = [
  ["findNodeByMac", (s) => s.findNodeByMac("52:54:00:12:34:56")],
  ["findNodeByUuid", (s) => s.findNodeByUuid("4c4c4544-0042-3510-8052-b4c04f384d32")],
  ["getImages", (s) => s.getImages(["a", "b"])],
  ["getImage", (s) => s.getImage("a")],
  ["getNode", (s) => s.getNode("a")],
  ["putImage", (s) => s.putImage({ id: "a", name: "a", swift: { object: "o" } } as Image)],
  ["putNode", (s) => s.putNode(node({ id: "a", macs: ["02:00:00:00:00:01"] }) as Node)],
  ["deleteNode", (s) => s.deleteNode("a")],
];

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
    });
  });
}

// A server that accepts connections and never answers: the worst case for timeouts.
const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
});
// Something that is not DynamoDB answering on the endpoint (a proxy, a wrong port).
const notDynamo = createHttpServer((_req, res) => res.writeHead(404).end());
let silentUrl = "";
let notDynamoUrl = "";
let closedUrl = "";

beforeAll(async () => {
  silentUrl = await listen(silent);
  notDynamoUrl = await listen(notDynamo);
  const probe = createServer();
  closedUrl = await listen(probe);
  await new Promise((r) => probe.close(r)); // nothing listens there any more
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => notDynamo.close(r));
});

const store = (endpoint: string, timeoutMs: number) =>
  createDynamoStore({ table: "unreachable", endpoint, region: "us-east-1", timeoutMs });

describe("an unreachable store fails with StoreUnavailableError within about timeoutMs", () => {
  it.each(calls)("%s against a server that never answers (timeoutMs 600)", async (_name, run) => {
    const { error, ms } = await failure(run(store(silentUrl, 600)));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/did not answer within 600 ms/);
    expect(ms).toBeLessThan(600 * 1.2 + 150);
  });

  it("findNodeByMac with the default 2000 ms budget: two reads share it", async () => {
    const { error, ms } = await failure(store(silentUrl, 2000).findNodeByMac("52:54:00:12:34:56"));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeGreaterThan(1500);
    expect(ms).toBeLessThan(2000 * 1.1 + 150);
  });

  it.each(calls)("%s against a closed port, at once", async (_name, run) => {
    const { error, ms } = await failure(run(store(closedUrl, 2000)));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/could not be reached \(ECONNREFUSED/);
    expect(ms).toBeLessThan(1000);
  });

  it("an endpoint that answers but is not DynamoDB", async () => {
    const { error } = await failure(store(notDynamoUrl, 2000).findNodeByMac("52:54:00:12:34:56"));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/answered HTTP 404 with no DynamoDB response/);
  });
});

describe("a missing table", () => {
  it("is StoreUnavailableError naming the problem (503 until ensureTable or the stack creates it)", async () => {
    const missing = createDynamoStore({
      table: "no-such-table",
      endpoint: inject("dynamodbEndpoint"),
      region: "us-east-1",
      timeoutMs: 2000,
    });
    const { error } = await failure(missing.findNodeByMac("52:54:00:12:34:56"));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/table not found/);
  });
});
