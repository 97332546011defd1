import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import type { DynamoStore } from "../../../shared/store/index.ts";
import { ADMIN_TOKEN, type AdminFixture, eventually, startAdmin } from "../admin/helpers.ts";

/**
 * The discovered list on DynamoDB Local: what the boot route records for unknown machines, the
 * store's once-a-minute condition and TTL, and the CLI's `discovered list|delete` and
 * `nodes enroll`.
 */
let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("discovery", { SWIFTBOOT_DISCOVERY_TTL_DAYS: "3" });
});
afterAll(() => t?.close());

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: () => {},
    env: { SWIFTBOOT_API_URL: t.server.url, SWIFTBOOT_API_TOKEN: ADMIN_TOKEN },
  };
  const code = await main(["node", "swiftboot", ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const boot = (mac: string, query = "") =>
  fetch(`${t.server.url}/boot/${mac.replaceAll(":", "-")}.ipxe${query}`).then((r) => r.text());

describe("discovered machines on DynamoDB", () => {
  it("are recorded once a minute with a TTL, listed, enrolled and forgotten through the CLI", async () => {
    const mac = "02:00:00:d1:00:01";
    const uuid = "d1d1d1d1-0000-4000-8000-000000000001";
    for (let i = 0; i < 5; i++) {
      expect(await boot(mac, `?uuid=${uuid}&arch=x86_64&platform=efi`)).toContain(
        "unknown machine",
      );
    }
    const listed = await eventually(
      async () => JSON.parse((await run(["discovered", "list", "--json"])).out) as unknown[],
      (items) => items.length === 1,
    );
    expect(listed).toEqual([
      {
        mac,
        uuid,
        arch: "x86_64",
        platform: "efi",
        client: "127.0.0.1",
        first_seen: expect.any(String),
        last_seen: expect.any(String),
        count: 1, // the other four came within the minute: counted for the next write
      },
    ]);
    const db = t.db;
    const { Item } = await db.raw.send(
      new GetCommand({ TableName: db.table, Key: { pk: "DISC#020000d10001", sk: "DISC" } }),
    );
    const lastSeen = Date.parse(String(Item?.last_seen)) / 1000;
    expect(Item?.ttl).toBe(Math.floor(lastSeen) + 3 * 86_400);

    const table = await run(["discovered", "list"]);
    expect(table.out).toMatch(/^MAC\s+UUID\s+ARCH/);
    expect(table.out).toContain(`${mac}  ${uuid}  x86_64/efi`);

    const enrolled = await run([
      "nodes",
      "enroll",
      "02-00-00-d1-00-01",
      "--id",
      "rack9-n1",
      "--name",
      "rack 9 node 1",
    ]);
    expect(enrolled.code, enrolled.err).toBe(0);
    expect(enrolled.out).toBe(
      "enrolled 02-00-00-d1-00-01 as node rack9-n1 (state enroll, version 1)",
    );
    expect(await t.store.getNode("rack9-n1")).toMatchObject({ macs: [mac], uuid, state: "enroll" });
    expect(JSON.parse((await run(["discovered", "list", "--json"])).out)).toEqual([]);
    expect(await boot(mac)).toContain("node rack9-n1 (rack 9 node 1) is in provision state enroll");

    const again = await run(["nodes", "enroll", mac]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("no discovered machine with MAC 02:00:00:d1:00:01");

    await boot("02:00:00:d1:00:02");
    await eventually(
      async () => JSON.parse((await run(["discovered", "list", "--json"])).out) as unknown[],
      (items) => items.length === 1,
    );
    expect((await run(["discovered", "delete", "02:00:00:d1:00:02"])).out).toBe(
      "forgot 02:00:00:d1:00:02",
    );
    expect((await run(["discovered", "delete", "02:00:00:d1:00:02"])).code).toBe(1);
  });

  it("the store writes a MAC at most once a minute across servers, adding their counts", async () => {
    const store = t.store as DynamoStore;
    const at = new Date("2026-01-01T00:00:00.000Z");
    const write = (when: Date, count: number) =>
      store.recordSighting({
        sighting: { mac: "02:00:00:d1:00:09", at: when },
        count,
        ttlSeconds: 86_400,
        minIntervalSeconds: 60,
      });
    expect(await write(at, 1)).toBe(true);
    expect(await write(new Date(at.getTime() + 30_000), 4)).toBe(false);
    expect(await write(new Date(at.getTime() + 60_000), 4)).toBe(true);
    // In the past (2026-01-01 + 1 day): expired, so hidden even before DynamoDB deletes it.
    expect(await store.getDiscovered("02:00:00:d1:00:09")).toBeUndefined();
    const { Item } = await t.db.raw.send(
      new GetCommand({ TableName: t.db.table, Key: { pk: "DISC#020000d10009", sk: "DISC" } }),
    );
    expect(Item).toMatchObject({ count: 5, first_seen: at.toISOString() });
  });
});
