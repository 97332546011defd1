import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";
import {
  ARTIFACT_KEY,
  faultMac,
  faultNodes,
  macPath,
  seed,
  tableSnapshot,
  timedGet,
} from "./helpers.ts";

/**
 * A node item broken behind the store's back (a hand edit, another tool): the machine whose MAC
 * points at it gets a 500 whose body is still a script (why, then the fail action; iPXE does
 * not run a 5xx body, so its first stage's `|| goto fail` does the same), no Retry-After (waiting
 * will not fix it), and one error log line naming the record. Every other machine boots, and
 * rewriting the node repairs it.
 */
let db: TestStore;
let server: TestServer;

beforeAll(async () => {
  db = await createTestStore("faults-corrupt");
  await seed(db.store, faultNodes(3));
  server = await startTestServer(db.store, { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: ARTIFACT_KEY });
});

afterAll(async () => {
  await server?.close();
});

describe("a corrupt node record", () => {
  it("gets its machine a 500 with a script body, and leaves the others alone", async () => {
    const items = await tableSnapshot(db.raw, db.table);
    const item = items.find((i) => i.pk === "NODE#fault-1");
    expect(item).toBeDefined();
    await db.raw.send(
      new PutCommand({ TableName: db.table, Item: { ...item, state: "exploded" } }),
    );
    // The boot path reads the node from its MAC claim's copy (claim-snapshot-reads.ts): a hand
    // edit reaches boots there, so break that copy the same way.
    const claim = items.find((i) => String(i.pk).startsWith("MAC#") && i.nodeId === "fault-1");
    expect(claim?.node).toBeDefined();
    const copy = { ...JSON.parse(String(claim?.node)), state: "exploded" };
    await db.raw.send(
      new PutCommand({ TableName: db.table, Item: { ...claim, node: JSON.stringify(copy) } }),
    );

    const res = await timedGet(`${server.url}${macPath(faultMac(1))}`);
    expect(res.status).toBe(500);
    expect(res.headers.get("retry-after")).toBeNull();
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(scriptProblems(res.text)).toEqual([]);
    expect(res.text).toContain("server error");
    expect(res.text).toMatch(/^exit$/m);
    const line = server.logs().at(-1);
    expect(line).toMatchObject({ level: "error", status: 500 });
    expect(String(line?.error)).toMatch(
      /^CorruptRecordError: stored record MAC#[0-9a-f]{12} node is invalid/,
    );

    for (const i of [0, 2]) {
      expect((await timedGet(`${server.url}${macPath(faultMac(i))}`)).status).toBe(200);
    }
  });

  it("is repaired by writing the node again", async () => {
    const [, node] = faultNodes(3);
    await db.store.putNode(node as NonNullable<typeof node>);
    const res = await timedGet(`${server.url}${macPath(faultMac(1))}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^kernel /m);
  });
});
