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
async function run(args: string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: () => {},
    env: { ...env, ...extraEnv },
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
  it("imports, reports per record, fails on the bad node, and is idempotent", async () => {
    const file = join(dir, "nodes.yaml");
    writeFileSync(file, FILE);
    const first = await run(["import", file]);
    expect(first.code).toBe(1);
    expect(first.out).toContain("created   nodes[0] (rack1-node7)");
    expect(first.out).toContain("failed    nodes[1] (broken): macs.0: must be a MAC address");
    expect(first.out).toContain("3 created, 0 updated, 0 unchanged, 1 failed");
    const again = await run(["import", file]);
    expect(again.out).toContain("0 created, 0 updated, 3 unchanged, 1 failed");
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
  });
});
