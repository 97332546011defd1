import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import { createTestStore } from "../store/helpers.ts";

const KEY = "cli-artifact-key-0123456789";
let env: Record<string, string>;
let dir: string;

/** Runs the CLI in-process, capturing what it prints. */
async function run(
  args: string[],
  extraEnv: Record<string, string> = {},
  extraIo: Partial<CliIo> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: () => {},
    env: { ...env, ...extraEnv },
    ...extraIo,
  };
  const code = await main(["node", "swiftboot", ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  const { table } = await createTestStore("cli");
  dir = mkdtempSync(join(tmpdir(), "swiftboot-cli-"));
  env = {
    SWIFTBOOT_STORE_ENDPOINT: inject("dynamodbEndpoint"),
    SWIFTBOOT_STORE_TABLE: table,
    SWIFTBOOT_ARTIFACTS_SIGNING_KEY: KEY,
    SWIFTBOOT_LOCAL_DATA_DIR: dir,
  };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const FILE = `
images:
  - id: ipa-kernel
    name: IPA deploy kernel
    swift: { container: images, object: ipa/deploy.kernel }
  - id: ipa-ramdisk
    name: IPA deploy ramdisk
    swift: { container: images, object: ipa/deploy.initramfs }
nodes:
  - id: node7
    name: rack1-node7
    macs: ["52:54:00:AA:BB:CC", "52-54-00-aa-bb-cd"]
    uuid: 4c4c4544-0042-3510-8052-b4c04f384d32
    state: deploying
    deploy: { kernel: ipa-kernel, ramdisk: ipa-ramdisk }
    kernel_args: "ipa-debug=1"
  - id: broken
    name: broken
    macs: ["not-a-mac"]
    state: deploying
`;

describe("swiftboot import and script", () => {
  it("checks the whole file, writes nothing while a record is bad, and is idempotent", async () => {
    const file = join(dir, "nodes.yaml");
    writeFileSync(file, FILE);
    const first = await run(["import", file]);
    expect(first.code).toBe(1);
    expect(first.out).not.toContain("nodes[0]");
    expect(first.out).toContain(
      "failed    nodes[1] (broken)\n            macs.0: must be a MAC address",
    );
    expect(first.out).toContain(
      "nothing written: 1 record(s) have problems (listed above); fix them, or pass --partial to write the 3 valid one(s)",
    );
    const dry = await run(["import", "--dry-run", file]);
    expect(dry.out).toContain("created   nodes[0] (rack1-node7)");
    expect(dry.out).toContain("dry run, nothing written: would be 3 created, 0 updated");
    expect((await run(["script", "52-54-00-aa-bb-cd"])).out).toContain("unknown machine");
    const partial = await run(["import", "--partial", file]);
    expect(partial.code).toBe(1);
    expect(partial.out).toContain("created   nodes[0] (rack1-node7) (version 1)");
    expect(partial.out).toMatch(/^3 created, 0 updated, 0 unchanged, 1 failed in \d+\.\d s/m);
    const again = await run(["import", "--partial", "--json", file]);
    expect(JSON.parse(again.out).counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 3,
      failed: 1,
      skipped: 0,
    });
  });

  it("shows progress on standard error only when it is a terminal", async () => {
    const file = join(dir, "progress.yaml");
    writeFileSync(file, FILE.slice(0, FILE.indexOf("  - id: broken")));
    const partial: string[] = [];
    const tty = await run(
      ["import", file],
      {},
      { errIsTty: true, errPartial: (t) => partial.push(t) },
    );
    expect(tty.code).toBe(0);
    expect(partial.join("")).toMatch(/\r3\/3 records, \d+\/s \n$/);
    const piped: string[] = [];
    await run(["import", file], {}, { errIsTty: false, errPartial: (t) => piped.push(t) });
    expect(piped).toEqual([]);
  });

  it("prints the script a machine would get, by any of its MACs or its UUID", async () => {
    const byMac = await run(["script", "52-54-00-aa-bb-cd", "--arch", "x86_64"]);
    expect(byMac.code).toBe(0);
    expect(byMac.out.startsWith("#!ipxe\n")).toBe(true);
    expect(byMac.out).toMatch(
      /^kernel --name kernel \S+\/v1\/artifacts\/ipa-kernel\/\S+ initrd=ramdisk BOOTIF=01-52-54-00-aa-bb-cd swiftboot\.callback=\S+\/v1\/callbacks\/node\/\S+ ipa-debug=1 \|\| goto retry$/m,
    );
    const byUuid = await run([
      "script",
      "52:54:00:00:00:01",
      "--uuid",
      "4C4C4544-0042-3510-8052-B4C04F384D32",
    ]);
    expect(byUuid.out).toContain("deploy boot of node node7");
    expect(byUuid.out).not.toContain(KEY);
  });

  it("renders Swift temp URLs when use_swift is on", async () => {
    const res = await run(["script", "525400aabbcc"], {
      SWIFTBOOT_IPXE_USE_SWIFT: "true",
      SWIFTBOOT_SWIFT_ENDPOINT_URL: "http://swift.example:8080",
      SWIFTBOOT_SWIFT_ACCOUNT: "AUTH_test",
      SWIFTBOOT_SWIFT_TEMP_URL_KEY: "swift-key-0123456789",
    });
    expect(res.out).toMatch(
      /^kernel --name kernel http:\/\/swift\.example:8080\/v1\/AUTH_test\/images\/ipa\/deploy\.kernel\?temp_url_sig=[0-9a-f]{64}&temp_url_expires=\d+ /m,
    );
  });

  it("refuses to run on a bad configuration, naming the variable", async () => {
    const res = await run(["script", "525400aabbcc"], { SWIFTBOOT_IPXE_USE_SWIFT: "true" });
    expect(res.code).toBe(1);
    expect(res.err).toContain(
      "SWIFTBOOT_SWIFT_TEMP_URL_KEY (swift.temp_url_key): is required when ipxe.use_swift is true",
    );
  });

  it("rejects an unreadable import file with a clear message", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "images: [ { id: x\n");
    const res = await run(["import", file]);
    expect(res.code).toBe(1);
    expect(res.err).toContain("bad.yaml");
    const missing = await run(["import", join(dir, "missing.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`swiftboot: cannot read ${join(dir, "missing.yaml")}: no such file`);
  });
});
