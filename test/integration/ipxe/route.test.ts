import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../functions/cli/main.ts";
import { openFsCache } from "../../../shared/cache/adapters/fs.ts";
import { parseConfig } from "../../../shared/config/index.ts";
import { createApp } from "../../../shared/http/index.ts";
import {
  CHAIN_URL_SLOT_LENGTH,
  embeddedScript,
  findChainUrlSlots,
} from "../../../shared/ipxe-binaries/slot.ts";
import type { IpxeManifest } from "../../../shared/ipxe-binaries/targets.ts";
import { createMemoryLogger } from "../../../shared/log/index.ts";
import { MemoryStore } from "../../support/store/index.ts";

/**
 * `swiftboot ipxe publish` into the local cache, then `GET /ipxe/<name>` from the app as every
 * runtime mounts it: the chain URL patched in from the public URL or the request, the artifact
 * route's caching and Range behaviour, and the refusals. The binaries are stand-ins with the real
 * embedded script (the real builds are checked in build.test.ts and booted in test/e2e).
 */

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const encoder = new TextEncoder();

function standIn(script: string, seed: number): Uint8Array {
  const code = new Uint8Array(20_000).map((_, i) => (i * seed) & 0xff);
  const out = new Uint8Array(code.length * 2 + script.length);
  out.set(code);
  out.set(encoder.encode(script), code.length);
  out.set(code, code.length + script.length);
  return out;
}

const EFI = standIn(embeddedScript(), 7);
const BIOS_URL = "https://boot.example/boot.ipxe";
const BIOS = standIn(embeddedScript(BIOS_URL), 13);

let dir: string;
let dataDir: string;

async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "swiftboot", ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    setExitCode: () => {},
    env: { SWIFTBOOT_LOCAL_DATA_DIR: dataDir, ...env },
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function appWith(env: Record<string, string>) {
  const config = parseConfig({
    env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "k".repeat(32), ...env },
  });
  const { logger } = createMemoryLogger();
  const cache = await openFsCache(join(dataDir, "cache"));
  return createApp({ config, store: new MemoryStore(), logger, cache });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "swiftboot-ipxe-route-"));
  dataDir = join(dir, "data");
  const build = join(dir, "build");
  await mkdir(build, { recursive: true });
  await writeFile(join(build, "ipxe.efi"), EFI);
  await writeFile(join(build, "undionly.kpxe"), BIOS);
  const manifest: IpxeManifest = {
    format: 1,
    inputs: "0".repeat(64),
    source: { sha256: "0".repeat(64), version: "2.0.0" },
    trust: "ipxe-default",
    sourceDateEpoch: 0,
    binaries: [
      { name: "ipxe.efi", platform: "efi", size: EFI.length, sha256: sha256(EFI), chain: "slot" },
      {
        name: "undionly.kpxe",
        platform: "bios",
        size: BIOS.length,
        sha256: sha256(BIOS),
        chain: { url: BIOS_URL },
      },
    ],
  };
  await writeFile(join(build, "manifest.json"), JSON.stringify(manifest));
  const published = await cli(["ipxe", "publish", "--from", build]);
  expect(published.err).toBe("");
  expect(published.out).toContain("published ipxe.efi");
  expect(published.code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const slotText = (bytes: Uint8Array, url: string) => {
  const text = new TextDecoder("latin1").decode(bytes);
  return text.includes(`set swiftboot-chain ${url.padEnd(CHAIN_URL_SLOT_LENGTH, " ")}\n`);
};

describe("GET /ipxe/<name>", () => {
  it("fills the chain URL from ipxe.public_url, with the artifact route's headers", async () => {
    const app = await appWith({ SWIFTBOOT_IPXE_PUBLIC_URL: "https://boot.example:8443" });
    const res = await app.request("http://anything/ipxe/ipxe.efi");
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBe(EFI.length);
    expect(slotText(body, "https://boot.example:8443/boot.ipxe")).toBe(true);
    expect(findChainUrlSlots(body)).toEqual([]);
    expect(res.headers.get("content-length")).toBe(String(EFI.length));
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toBe(`"${sha256(body)}"`);
    expect(res.headers.get("last-modified")).toMatch(/GMT$/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
  });

  it("without a public URL, chains back to the host and scheme the firmware used", async () => {
    const app = await appWith({});
    const res = await app.request("https://10.0.2.2:8443/ipxe/ipxe.efi");
    expect(
      slotText(new Uint8Array(await res.arrayBuffer()), "https://10.0.2.2:8443/boot.ipxe"),
    ).toBe(true);
    const plain = await app.request("http://boot.lan/ipxe/ipxe.efi");
    expect(slotText(new Uint8Array(await plain.arrayBuffer()), "http://boot.lan/boot.ipxe")).toBe(
      true,
    );
  });

  it("answers Range, HEAD, If-None-Match and If-Range like the artifact route", async () => {
    const app = await appWith({ SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.example" });
    const whole = new Uint8Array(await (await app.request("http://x/ipxe/ipxe.efi")).arrayBuffer());
    const etag = `"${sha256(whole)}"`;
    const part = await app.request("http://x/ipxe/ipxe.efi", {
      headers: { Range: "bytes=100-199" },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${whole.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(whole.slice(100, 200));
    const suffix = await app.request("http://x/ipxe/ipxe.efi", { headers: { Range: "bytes=-10" } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(whole.slice(-10));
    const past = await app.request("http://x/ipxe/ipxe.efi", {
      headers: { Range: `bytes=${whole.length}-` },
    });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${whole.length}`);
    const head = await app.request("http://x/ipxe/ipxe.efi", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(whole.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const same = await app.request("http://x/ipxe/ipxe.efi", {
      headers: { "If-None-Match": etag },
    });
    expect(same.status).toBe(304);
    const staleRange = await app.request("http://x/ipxe/ipxe.efi", {
      headers: { Range: "bytes=0-9", "If-Range": '"other"' },
    });
    expect(staleRange.status).toBe(200);
    // Another chain URL is another representation: the old ETag no longer matches.
    const other = await appWith({ SWIFTBOOT_IPXE_PUBLIC_URL: "http://elsewhere.example" });
    const changed = await other.request("http://x/ipxe/ipxe.efi", {
      headers: { "If-None-Match": etag },
    });
    expect(changed.status).toBe(200);
  });

  it("serves a BIOS binary with its built-in URL as stored", async () => {
    const app = await appWith({ SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.example" });
    const res = await app.request("http://x/ipxe/undionly.kpxe");
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(BIOS);
  });

  it("refuses unknown names, unpublished binaries, other methods and unusable hosts", async () => {
    const app = await appWith({});
    const unknown = await app.request("http://x/ipxe/grub.efi");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("swiftboot: no such iPXE binary\n");
    const unpublished = await app.request("http://x/ipxe/snponly.efi");
    expect(unpublished.status).toBe(404);
    expect(await unpublished.text()).toContain("snponly.efi is not published");
    const post = await app.request("http://x/ipxe/ipxe.efi", { method: "POST" });
    expect(post.status).toBe(405);
    const longHost = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example`;
    const tooLong = await app.request(`http://${longHost}/ipxe/ipxe.efi`);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toMatch(/bytes long; swiftboot's iPXE binaries hold at most 256/);
  });

  it("is refused at configuration time when the public URL cannot fit the slot", () => {
    expect(() =>
      parseConfig({
        env: {
          SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "k".repeat(32),
          SWIFTBOOT_IPXE_PUBLIC_URL: `https://boot.example/${"p".repeat(240)}`,
        },
      }),
    ).toThrow(/ipxe\.public_url.*cannot be built into swiftboot's iPXE binaries/);
  });
});

describe("swiftboot ipxe publish", () => {
  it("refuses a binary that does not match its manifest", async () => {
    const build = join(dir, "tampered");
    await mkdir(build, { recursive: true });
    await writeFile(join(build, "ipxe.efi"), EFI.slice(1));
    await writeFile(
      join(build, "manifest.json"),
      JSON.stringify({
        format: 1,
        binaries: [
          {
            name: "ipxe.efi",
            platform: "efi",
            size: EFI.length,
            sha256: sha256(EFI),
            chain: "slot",
          },
        ],
      }),
    );
    const result = await cli(["ipxe", "publish", "--from", build]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/ipxe\.efi does not match its manifest/);
  });
});
