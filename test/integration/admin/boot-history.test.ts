import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootStore } from "../../../shared/store/index.ts";
import { startTestServer } from "../../support/app-server.ts";
import {
  ADMIN_ENV,
  type AdminFixture,
  eventually,
  image,
  nodeBody,
  startAdmin,
} from "./helpers.ts";

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-boots", { SWIFTBOOT_ADMIN_BOOT_HISTORY_DAYS: "30" });
  for (const id of ["k", "r"]) await t.store.putImage(image(id));
  await t.call("PUT", "/v1/nodes/hist", {
    body: nodeBody("hist", "52:54:00:77:00:01", {
      uuid: "77777777-0000-0000-0000-000000000001",
      state: "deploying",
      deploy: { kernel: "k", ramdisk: "r" },
    }),
  });
});
afterAll(() => t?.close());

const boot = (path: string) => fetch(`${t.server.url}${path}`).then((r) => r.text());
const boots = async (query = "") => (await t.call("GET", `/v1/nodes/hist/boots${query}`)).body;

describe("boot history", () => {
  it("records each script served to the node, newest first, without URLs or signatures", async () => {
    const script = await boot("/boot/52-54-00-77-00-01.ipxe?arch=x86_64&platform=efi");
    expect(script).toMatch(/sig=[0-9a-f]{64}/); // the script itself carries signed URLs
    const first = await eventually(boots, (b) => (b.items?.length ?? 0) >= 1);
    expect(first.items?.[0]).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      node: "hist",
      client: "127.0.0.1",
      mac: "52:54:00:77:00:01",
      arch: "x86_64",
      platform: "efi",
      attempt: 0,
      state: "deploying",
      outcome: "boot",
      purpose: "deploy",
      url_mode: "artifacts",
      kernel: "k",
      ramdisk: "r",
      expires_at: expect.any(Number),
    });
    const expiresAt = first.items?.[0]?.expires_at as number;
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000);
    // Then the node leaves deploying: the next script boots nothing, and is recorded as such.
    await t.call("POST", "/v1/nodes/hist/actions/done");
    await boot("/boot/52-54-00-77-00-02.ipxe?uuid=77777777-0000-0000-0000-000000000001&attempt=1");
    const both = await eventually(boots, (b) => (b.items?.length ?? 0) >= 2);
    expect(both.items?.map((i) => [i.state, i.outcome, i.attempt])).toEqual([
      ["active", expect.not.stringMatching(/^boot$/), 1],
      ["deploying", "boot", 0],
    ]);
    expect(both.items?.[0]?.uuid).toBe("77777777-0000-0000-0000-000000000001");
    const text = JSON.stringify(both);
    expect(text).not.toMatch(/sig=|temp_url_sig|\/v1\/artifacts|https?:\/\//);
  });

  it("pages through a long history, newest first, each boot once", async () => {
    for (let i = 0; i < 12; i++) await boot(`/boot/52-54-00-77-00-01.ipxe?attempt=${100 + i}`);
    await eventually(boots, (b) => (b.items?.length ?? 0) >= 14, 10_000);
    const attempts: number[] = [];
    const times: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await boots(`?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect((page.items ?? []).length).toBeLessThanOrEqual(5);
      for (const item of page.items ?? []) {
        attempts.push(Number(item.attempt));
        times.push(String(item.at));
      }
      cursor = page.next_cursor as string | undefined;
    } while (cursor !== undefined);
    expect(attempts).toHaveLength(14);
    expect(attempts.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => 111 - i));
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("keeps items with a TTL of boot_history_days", async () => {
    const { Items = [] } = await t.db.raw.send(
      new QueryCommand({
        TableName: t.db.table,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :b)",
        ExpressionAttributeValues: { ":pk": "NODE#hist", ":b": "BOOT#" },
      }),
    );
    expect(Items.length).toBeGreaterThanOrEqual(14);
    for (const item of Items) {
      const at = Date.parse(String(item.at)) / 1000;
      expect(item.ttl).toBe(Math.floor(at) + 30 * 86_400);
    }
  });

  it("404 for the history of a node that does not exist; bad paging is 400", async () => {
    expect((await t.call("GET", "/v1/nodes/ghost/boots")).status).toBe(404);
    expect((await t.call("GET", "/v1/nodes/hist/boots?limit=0")).status).toBe(400);
    expect((await t.call("GET", "/v1/nodes/hist/boots?cursor=Zm9v")).status).toBe(400);
  });
});

describe("the boot answer does not depend on the history write", () => {
  /** The DynamoDB store, with recordBoot replaced. */
  const withRecorder = (recordBoot: BootStore["recordBoot"]): BootStore => ({
    findNodeByMac: (m) => t.store.findNodeByMac(m),
    findNodeByUuid: (u) => t.store.findNodeByUuid(u),
    getImages: (ids) => t.store.getImages(ids),
    ...(recordBoot === undefined ? {} : { recordBoot }),
  });

  it("a failing write is a warning in the log; the script is served all the same", async () => {
    const server = await startTestServer(
      withRecorder(() => Promise.reject(new Error("DynamoDB said no"))),
      ADMIN_ENV,
    );
    try {
      const res = await fetch(`${server.url}/boot/52-54-00-77-00-01.ipxe`);
      expect(res.status).toBe(200);
      await eventually(
        async () => server.logs(),
        (logs) => logs.some((l) => l.msg === "boot history not recorded"),
      );
      expect(server.logs().find((l) => l.msg === "boot history not recorded")).toMatchObject({
        level: "warn",
        node: "hist",
        error: "Error: DynamoDB said no",
      });
    } finally {
      await server.close();
    }
  });

  it("a write that never finishes does not slow the answer", async () => {
    const server = await startTestServer(
      withRecorder(() => new Promise(() => {})),
      ADMIN_ENV,
    );
    try {
      const started = performance.now();
      const res = await fetch(`${server.url}/boot/52-54-00-77-00-01.ipxe`);
      await res.text();
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await server.close();
    }
  });

  it("boot_history_days = 0 records nothing, and unknown machines are never recorded", async () => {
    let calls = 0;
    const server = await startTestServer(
      withRecorder(async () => {
        calls++;
      }),
      { ...ADMIN_ENV, SWIFTBOOT_ADMIN_BOOT_HISTORY_DAYS: "0" },
    );
    const on = await startTestServer(
      withRecorder(async () => {
        calls++;
      }),
      ADMIN_ENV,
    );
    try {
      await fetch(`${server.url}/boot/52-54-00-77-00-01.ipxe`).then((r) => r.text());
      await fetch(`${on.url}/boot/52-54-00-99-99-99.ipxe`).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 100));
      expect(calls).toBe(0);
      await fetch(`${on.url}/boot/52-54-00-77-00-01.ipxe`).then((r) => r.text());
      await eventually(
        async () => calls,
        (n) => n === 1,
      );
      expect(calls).toBe(1);
    } finally {
      await server.close();
      await on.close();
    }
  });
});
