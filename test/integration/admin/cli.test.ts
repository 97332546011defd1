import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import { ADMIN_TOKEN, type AdminFixture, eventually, READ_TOKEN, startAdmin } from "./helpers.ts";

let t: AdminFixture;
let dir: string;
beforeAll(async () => {
  t = await startAdmin("admin-cli");
  dir = mkdtempSync(join(tmpdir(), "swiftboot-admin-cli-"));
});
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI in-process against the live server, capturing what it prints. */
async function run(args: string[], env: Record<string, string> = {}, stdin = "") {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => stdin,
    setExitCode: () => {},
    env: { SWIFTBOOT_API_URL: t.server.url, SWIFTBOOT_API_TOKEN: ADMIN_TOKEN, ...env },
  };
  const code = await main(["node", "swiftboot", ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("swiftboot token", () => {
  it("prints a new token and the admin.tokens entry of its hash", async () => {
    const res = await run(["token", "--scope", "read", "--json"]);
    expect(res.code).toBe(0);
    const { token, scope, entry } = JSON.parse(res.out) as Record<string, string>;
    expect(scope).toBe("read");
    expect(entry).toBe(
      `read:${createHash("sha256")
        .update(token as string)
        .digest("hex")}`,
    );
    const human = await run(["token"]);
    expect(human.out).toMatch(/^token: {2}sbt_\S{43}\nentry: {2}admin:[0-9a-f]{64}\n/);
    const bad = await run(["token", "--scope", "owner"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe("swiftboot: --scope must be read or admin, not owner");
  });
});

describe("swiftboot images", () => {
  it("puts from a file or stdin, gets, lists (table and JSON) and deletes", async () => {
    const images = file(
      "images.yaml",
      `images:
  - { id: k1, name: Kernel one, swift: { container: images, object: k1 }, size: 10 }
  - { id: r1, name: Ramdisk one, swift: { object: r1 } }
`,
    );
    const put = await run(["images", "put", images]);
    expect(put).toMatchObject({ code: 0, err: "" });
    expect(put.out).toMatch(
      /^created {3}images\[0\] \(k1\) \(version 1\)\ncreated {3}images\[1\] \(r1\) \(version 1\)\n2 created, 0 updated, 0 unchanged, 0 failed in \d+\.\d s(, \d+ writes\/s)?$/,
    );
    const stdin = await run(
      ["images", "put", "-", "--json"],
      {},
      '{"id":"k1","name":"Kernel 1","swift":{"object":"k1"}}',
    );
    expect(JSON.parse(stdin.out).records).toEqual([
      { kind: "image", record: "images[0] (k1)", id: "k1", outcome: "updated", version: 2 },
    ]);
    const got = await run(["images", "get", "k1"]);
    expect(got.out).toBe("# version 2\nid: k1\nname: Kernel 1\nswift:\n  object: k1");
    // Re-putting what `get` printed changes nothing: reported unchanged, version kept.
    const saved = file("k1.yaml", got.out);
    const same = await run(["images", "put", saved]);
    expect(same.out.split("\n")[0]).toBe("unchanged images[0] (k1) (version 2)");
    expect((await t.store.getImageVersioned("k1"))?.version).toBe(2);
    // The `# version 2` that `get` printed is sent as If-Match: an edit of a stale copy fails.
    const edited = file("k1-edited.yaml", got.out.replace("Kernel 1", "Kernel one"));
    expect((await run(["images", "put", edited])).out.split("\n")[0]).toBe(
      "updated   images[0] (k1) (version 3)",
    );
    const stale = file("k1-stale.yaml", got.out.replace("Kernel 1", "Kernel uno"));
    const refused = await run(["images", "put", stale]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      "failed    images[0] (k1)\n            version: is 2 in the file, but 3 in the store",
    );
    expect((await t.store.getImage("k1"))?.name).toBe("Kernel one");
    await run(["images", "put", "-"], {}, '{"id":"k1","name":"Kernel 1","swift":{"object":"k1"}}');
    const list = await run(["images", "list", "--limit", "1"]);
    expect(list.out.split("\n")).toEqual([
      "ID  NAME         SWIFT OBJECT  SIZE",
      "k1  Kernel 1     (default)/k1",
      "r1  Ramdisk one  (default)/r1",
    ]);
    const json = await run(["images", "list", "--json"]);
    expect((JSON.parse(json.out) as { id: string }[]).map((i) => i.id)).toEqual(["k1", "r1"]);
  });

  it("exits 1 with the API's problem detail, field by field", async () => {
    const bad = file("bad-image.json", '{"id":"bad","name":"","swift":{"object":"/abs"}}');
    const res = await run(["images", "put", bad]);
    expect(res.code).toBe(1);
    expect(res.out).toContain("failed    images[0] (bad)\n            name: ");
    expect(res.out).toContain("\n            swift.object: must not start with /");
    expect(res.out).toContain("nothing written: 1 record(s) have problems");
    const missing = await run(["images", "get", "nope"]);
    expect(missing).toMatchObject({
      code: 1,
      err: "swiftboot: API answered 404 Not found: no image nope",
    });
  });
});

describe("swiftboot nodes", () => {
  it("puts, lists with filters, moves through states and shows its boots", async () => {
    const nodes = file(
      "nodes.json",
      JSON.stringify([
        {
          id: "c1",
          name: "rack1-node1",
          macs: ["52:54:00:c1:00:01"],
          state: "available",
          deploy: { kernel: "k1", ramdisk: "r1" },
        },
        { id: "c2", name: "rack1-node2", macs: ["52:54:00:c1:00:02"], state: "enroll" },
      ]),
    );
    const put = await run(["nodes", "put", nodes]);
    expect(put.out.split("\n").slice(0, 2)).toEqual([
      "created   nodes[0] (rack1-node1) (version 1)",
      "created   nodes[1] (rack1-node2) (version 1)",
    ]);
    // YAML output quotes MACs, so that a YAML 1.1 reader does not read them as numbers.
    const yamlGot = await run(["nodes", "get", "c2"]);
    expect(yamlGot.out).toContain('macs:\n  - "52:54:00:c1:00:02"');
    const list = await run(["nodes", "list"]);
    expect(list.out.split("\n")).toEqual([
      "ID  NAME         STATE      MACS               UUID",
      "c2  rack1-node2  enroll     52:54:00:c1:00:02",
      "c1  rack1-node1  available  52:54:00:c1:00:01",
    ]);
    const byState = await run(["nodes", "list", "--state", "available", "--json"]);
    expect((JSON.parse(byState.out) as { id: string }[]).map((n) => n.id)).toEqual(["c1"]);
    const byMac = await run(["nodes", "list", "--mac", "52-54-00-C1-00-02", "--json"]);
    expect((JSON.parse(byMac.out) as { id: string }[]).map((n) => n.id)).toEqual(["c2"]);
    expect((await run(["nodes", "set-state", "c1", "deploy"])).out).toBe(
      "c1: available → deploying (deploy, version 2)",
    );
    const illegal = await run(["nodes", "set-state", "c2", "deploy"]);
    expect(illegal.code).toBe(1);
    expect(illegal.err).toBe(
      "swiftboot: API answered 409 Action not allowed from the node's state: action deploy is not allowed from state enroll; allowed: manage (→ manageable)",
    );
    await fetch(`${t.server.url}/boot/52-54-00-c1-00-01.ipxe`).then((r) => r.text());
    const boots = await eventually(
      () => run(["nodes", "boots", "c1"]),
      (r) => r.out.split("\n").length >= 2,
    );
    const [header, row] = boots.out.split("\n");
    expect(header).toMatch(/^AT\s+STATE\s+OUTCOME\s+PURPOSE\s+MAC\s+CLIENT\s+URLS EXPIRE$/);
    expect(row).toMatch(/deploying\s+boot\s+deploy\s+52:54:00:c1:00:01\s+127\.0\.0\.1\s+\d{4}-/);
    const got = await run(["nodes", "get", "c1", "--json"]);
    expect(JSON.parse(got.out)).toMatchObject({ id: "c1", state: "deploying" });
  });

  it("delete refusals and deletions", async () => {
    const inUse = await run(["images", "delete", "k1"]);
    expect(inUse).toMatchObject({
      code: 1,
      err: "swiftboot: API answered 409 Image in use: image k1 is used by node c1",
    });
    expect((await run(["nodes", "delete", "c1"])).out).toBe("deleted node c1");
    expect((await run(["images", "delete", "k1"])).out).toBe("deleted image k1");
  });

  it("a read token may list but not write; no token, no URL and no server are clear errors", async () => {
    expect((await run(["nodes", "list"], { SWIFTBOOT_API_TOKEN: READ_TOKEN })).code).toBe(0);
    const write = await run(["nodes", "delete", "c2"], { SWIFTBOOT_API_TOKEN: READ_TOKEN });
    expect(write.code).toBe(1);
    expect(write.err).toBe(
      "swiftboot: API answered 403 Token lacks the scope this request needs: DELETE needs a token with scope admin; this one has read",
    );
    const anonymous = await run(["nodes", "list"], { SWIFTBOOT_API_TOKEN: "" });
    expect(anonymous.err).toMatch(
      /^swiftboot: API answered 401 Authentication required: send a token/,
    );
    const noUrl = await run(["nodes", "list"], { SWIFTBOOT_API_URL: "" });
    expect(noUrl.err).toBe(
      "swiftboot: no admin API URL: pass --url or set SWIFTBOOT_API_URL (e.g. http://127.0.0.1:8080)",
    );
    const probe = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => probe.once("listening", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r)); // nothing listens there now
    const down = await run(["nodes", "list", "--url", `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.err).toBe(
      `swiftboot: cannot reach the admin API at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });
});

describe("swiftboot nodes put, a large file", () => {
  it("reads the stored nodes by listing, and still finds every change and conflict", async () => {
    await run(
      ["nodes", "put", "-"],
      {},
      JSON.stringify({
        id: "holder",
        name: "holder",
        macs: ["52:54:00:b0:00:ff"],
        state: "enroll",
      }),
    );
    const nodes = Array.from({ length: 120 }, (_, i) => ({
      id: `bulk-${i}`,
      name: `bulk ${i}`,
      macs: [`52:54:00:b0:00:${i.toString(16).padStart(2, "0")}`],
      state: "enroll",
    }));
    const path = file("bulk.json", JSON.stringify({ nodes }));
    const first = await run(["nodes", "put", path]);
    expect(first.code).toBe(0);
    expect(first.out.split("\n").at(-1)).toMatch(
      /^120 created, 0 updated, 0 unchanged, 0 failed in /,
    );
    const again = await run(["nodes", "put", path]);
    expect(again.out.split("\n").at(-1)).toMatch(
      /^0 created, 0 updated, 120 unchanged, 0 failed in /,
    );
    expect((await t.store.getNodeVersioned("bulk-7"))?.version).toBe(1);
    const changed = nodes.map((n, i) =>
      i === 3 ? { ...n, name: "renamed" } : i === 5 ? { ...n, macs: ["52:54:00:b0:00:ff"] } : n,
    );
    const report = await run([
      "nodes",
      "put",
      file("bulk2.json", JSON.stringify(changed)),
      "--partial",
    ]);
    expect(report.out).toContain("updated   nodes[3] (renamed) (version 2)");
    expect(report.out).toContain(
      "failed    nodes[5] (bulk 5)\n            macs.0: MAC 52:54:00:b0:00:ff already belongs to node holder",
    );
    expect(report.out.split("\n").at(-1)).toMatch(
      /^0 created, 1 updated, 118 unchanged, 1 failed in /,
    );
  });
});

describe("swiftboot import --url", () => {
  it("imports through the API with the store import's report, idempotently", async () => {
    const doc = file(
      "import.yaml",
      `images:
  - { id: ik, name: Import kernel, swift: { object: ik } }
  - { id: ir, name: Import ramdisk, swift: { object: ir } }
nodes:
  - id: imp1
    name: imported-1
    macs: ["52:54:00:1e:00:01"]
    state: deploying
    deploy: { kernel: ik, ramdisk: ir }
  - { id: imp2, name: imported-2, macs: ["not-a-mac"], state: enroll }
  - { id: imp3, name: imported-3, macs: ["52:54:00:1e:00:03"], state: enroll, deploy: { kernel: ik, ramdisk: ghost } }
`,
    );
    const first = await run(["import", "--url", t.server.url, doc]);
    expect(first.code).toBe(1);
    expect(first.out.split("\n")).toEqual([
      "failed    nodes[1] (imported-2)",
      "            macs.0: must be a MAC address such as 52:54:00:ab:cd:ef, 52-54-00-ab-cd-ef or 525400abcdef",
      "failed    nodes[2] (imported-3)",
      '            deploy.ramdisk: unknown image "ghost" (not in this file or the store)',
      "nothing written: 2 record(s) have problems (listed above); fix them, or pass --partial to write the 3 valid one(s)",
    ]);
    expect(await t.store.getImage("ik")).toBeUndefined();
    const partial = await run(["import", "--url", t.server.url, "--partial", doc]);
    expect(partial.out).toMatch(/\n3 created, 0 updated, 0 unchanged, 2 failed in /);
    const again = await run(["import", "--url", t.server.url, doc, "--partial", "--json"]);
    expect(JSON.parse(again.out).counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 3,
      failed: 2,
      skipped: 0,
    });
    expect((await t.store.getNode("imp1"))?.state).toBe("deploying");
    // Through the API a state changes only by an action: refused before anything is written.
    const moved = file(
      "moved.yaml",
      'nodes:\n  - { id: imp1, name: imported-1, macs: ["52:54:00:1e:00:01"], state: active, deploy: { kernel: ik, ramdisk: ir } }\n',
    );
    const refused = await run(["import", "--url", t.server.url, moved]);
    expect(refused.out).toContain(
      "            state: is deploying in the store; states change with `swiftboot nodes set-state`",
    );
  });
});
