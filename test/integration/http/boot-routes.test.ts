import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { brokenStore } from "../../support/store/index.ts";
import { createTestStore, node, type TestStore } from "../store/helpers.ts";

const KEY = "artifact-key-0123456789abcdef";
const ENV = { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: KEY, SWIFTBOOT_IPXE_RETRIES: "2" };

let db: TestStore;
let server: TestServer;

beforeAll(async () => {
  db = await createTestStore("http-boot");
  const images = [
    { id: "k", name: "deploy kernel", swift: { container: "images", object: "ipa/deploy.kernel" } },
    {
      id: "r",
      name: "deploy ramdisk",
      swift: { container: "images", object: "ipa/deploy.initramfs" },
    },
  ];
  for (const image of images) await db.store.putImage(image);
  await db.store.putNode(
    node({
      id: "n1",
      name: "rack1-node7",
      macs: ["52:54:00:12:34:56", "52:54:00:12:34:57"],
      uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
      state: "deploying",
      deploy: { kernel: "k", ramdisk: "r" },
      kernel_args: "ipa-debug=1",
    }),
  );
  await db.store.putNode(node({ id: "n2", macs: ["52:54:00:00:00:02"], state: "manageable" }));
  server = await startTestServer(db.store, ENV);
});

afterAll(async () => {
  await server?.close();
});

async function get(path: string) {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** fetch() won't send a forged Host header; node:http will. */
function getWithHost(path: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers: { host } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /boot.ipxe", () => {
  it("chains the per-node script with the booting NIC's MAC and the machine's identity", async () => {
    const res = await get("/boot.ipxe");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.text.startsWith("#!ipxe\n")).toBe(true);
    expect(res.text).toContain(
      `chain --autofree --replace ${server.url}/boot/\${mac:hexhyp}.ipxe?uuid=\${uuid}&arch=\${buildarch}&platform=\${platform} || goto fail`,
    );
  });

  it("refuses a Host header that would put something unsafe into the script", async () => {
    const res = await getWithHost("/boot.ipxe", "evil${x}.example");
    expect(res.status).toBe(400);
    expect(res.text.startsWith("#!ipxe\n")).toBe(true);
    expect(res.text).not.toContain("${x}");
  });
});

describe("GET /boot/{mac}.ipxe", () => {
  it("serves the deploy script for a known MAC, with signed artifact URLs", async () => {
    const res = await get("/boot/52-54-00-12-34-56.ipxe?uuid=&arch=x86_64&platform=efi");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.text).toMatch(
      new RegExp(
        `^kernel --name kernel ${server.url}/v1/artifacts/k/[0-9a-f]+/deploy\\.kernel\\?expires=\\d+&sig=[0-9a-f]{64} initrd=ramdisk BOOTIF=01-52-54-00-12-34-56 swiftboot\\.callback=${server.url}/v1/callbacks/node/[^/\\s]+/deploying/[0-9a-f]{16}/\\d+/[0-9a-f]{64} ipa-debug=1 \\|\\| goto retry$`,
        "m",
      ),
    );
    expect(res.text).toMatch(/^initrd --name ramdisk \S+\/v1\/artifacts\/r\/\S+ \|\| goto retry$/m);
    expect(res.text).toMatch(/^imgfree$/m);
  });

  it("finds the node whichever of its NICs booted, in any MAC form", async () => {
    for (const mac of ["52-54-00-12-34-57", "525400123457", "52:54:00:12:34:57"]) {
      const res = await get(`/boot/${mac}.ipxe`);
      expect(res.text).toContain("deploy boot of node n1 (rack1-node7)");
    }
  });

  it("falls back to the SMBIOS UUID when the MAC is not enrolled", async () => {
    const res = await get("/boot/52-54-00-99-99-99.ipxe?uuid=4C4C4544-0042-3510-8052-B4C04F384D32");
    expect(res.text).toContain("deploy boot of node n1");
  });

  it("explains an unknown machine on its console, with status 200 (never a bare 404)", async () => {
    const res = await get("/boot/52-54-00-99-99-98.ipxe?uuid=4c4c4544-0000-0000-0000-000000000001");
    expect(res.status).toBe(200);
    expect(res.text).toContain("unknown machine");
    expect(res.text).toContain("52:54:00:99:99:98");
    expect(res.text).toMatch(/^exit$/m);
    expect(res.text).not.toMatch(/^kernel /m);
  });

  it("says why a node in a non-booting state is not network booted", async () => {
    const res = await get("/boot/52-54-00-00-00-02.ipxe");
    expect(res.status).toBe(200);
    expect(res.text).toContain("manageable");
    expect(res.text).not.toMatch(/^kernel /m);
  });

  it("answers garbage identities with a safe script, not an error", async () => {
    const res = await get("/boot/%24%7Bx%7D%20%7C%7C%20shell.ipxe?uuid=%0Ashell&arch=%23");
    expect(res.status).toBe(200);
    expect(res.text.startsWith("#!ipxe\n")).toBe(true);
    expect(res.text).not.toMatch(/^shell$/m);
    expect(res.text).not.toContain("${x}");
  });

  it("re-chains with attempt+1 and gives up with the fail action after ipxe.retries", async () => {
    const first = await get("/boot/52-54-00-12-34-56.ipxe");
    expect(first.text).toMatch(
      /^chain --autofree --replace \S+\/boot\/52-54-00-12-34-56\.ipxe\?attempt=1 \|\| goto fail$/m,
    );
    const last = await get("/boot/52-54-00-12-34-56.ipxe?attempt=2");
    expect(last.text).not.toMatch(/attempt=3/);
    expect(last.text).toMatch(/^exit$/m);
  });

  it("writes one JSON log line per request, without signatures or keys", async () => {
    const before = server.logs().length;
    await get("/boot/52-54-00-12-34-56.ipxe");
    const lines = server.logs().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: "request",
      status: 200,
      node: "n1",
      mac: "52:54:00:12:34:56",
      state: "deploying",
      url_mode: "artifacts",
      outcome: "boot",
    });
    expect(typeof lines[0]?.expires_at).toBe("number");
    expect(typeof lines[0]?.latency_ms).toBe("number");
    const all = server.rawLogs.join("\n");
    expect(all).not.toContain(KEY);
    expect(all).not.toMatch(/sig=[0-9a-f]{64}/);
  });
});

describe("when the store cannot be reached", () => {
  it("answers 503 with Retry-After and a valid script body", async () => {
    const down = await startTestServer(brokenStore(), ENV);
    try {
      const res = await fetch(`${down.url}/boot/52-54-00-12-34-56.ipxe`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await res.text();
      expect(body.startsWith("#!ipxe\n")).toBe(true);
      expect(body).toContain("unavailable");
    } finally {
      await down.close();
    }
  });

  it("answers 503 within the store timeout when DynamoDB is unreachable, then recovers", async () => {
    const { createDynamoStore } = await import("../../../shared/store/index.ts");
    const unreachable = createDynamoStore({
      table: db.table,
      endpoint: "http://127.0.0.1:9", // discard port: nothing listens
      region: "us-east-1",
      timeoutMs: 500,
    });
    const down = await startTestServer(unreachable, ENV);
    try {
      const started = Date.now();
      const res = await fetch(`${down.url}/boot/52-54-00-12-34-56.ipxe`);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await down.close();
    }
  });
});
