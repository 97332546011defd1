import type { ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildBundles } from "../../scripts/build.ts";
import {
  GUEST_HOST,
  sendFile,
  sendText,
  startTestServer,
  type TestServer,
} from "./support/http.ts";
import { REPO_ROOT } from "./support/payload.ts";
import { unwrapConsole } from "./support/qemu.ts";
import { type LogLine, type Swiftboot, startSwiftboot } from "./support/swiftboot.ts";
import { spawnTethered } from "./support/tether.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * A deployed stack's boot path, without AWS: a real iPXE in QEMU chains `http://<front>/boot.ipxe`
 * from a local stand-in of the CloudFront front (support/front-standin.ts: plain HTTP, the stack's
 * viewer-request function, the built boot and artifacts Lambda bundles behind it, the bucket
 * behind `/artifacts/*` on a CloudFront signature only). The artifacts function fills the cache
 * bucket (the local Swift's S3 API) from the images' origin and answers 302 to a CloudFront signed
 * URL; iPXE follows it to the stand-in, which checks the signature as CloudFront does and serves
 * the object. The ramdisk is padded past 200 MB, more than a Lambda streamed response may carry.
 */

const payload = inject("e2ePayload");
const swift = inject("e2eSwift");
const MAC = "52:54:00:5b:03:01";
const KERNEL_ID = "e2e-front-kernel";
const RAMDISK_ID = "e2e-front-ramdisk";
/** 210 MiB: above Lambda's 200 MB streamed-response cap. NUL padding is skipped by the kernel. */
const RAMDISK_BYTES = 210 * 1024 * 1024;

let dir: string;
let origin: TestServer;
let sb: Swiftboot;
let front: ChildProcess;
let frontPort: number;
const frontLog: LogLine[] = [];
let ramdisk: { path: string; size: number; sha256: string };
let kernel: { size: number; sha256: string };

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "swiftboot-e2e-front-"));
  // A sparse file: the payload's initramfs, then zeros up to the size.
  const padded = join(dir, "initrd-padded");
  copyFileSync(payload.initrd, padded);
  truncateSync(padded, RAMDISK_BYTES);
  ramdisk = { path: padded, size: RAMDISK_BYTES, sha256: await sha256File(padded) };
  const kernelBytes = readFileSync(payload.kernel);
  kernel = {
    size: kernelBytes.length,
    sha256: createHash("sha256").update(kernelBytes).digest("hex"),
  };

  origin = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/origin/vmlinuz") return sendFile(res, payload.kernel);
    if (path === "/origin/initrd") return sendFile(res, ramdisk.path);
    sendText(res, 404, "not found\n");
  });

  // The table: the local server's DynamoDB Local, records imported through its CLI.
  const [bundles] = await Promise.all([
    buildBundles({ outdir: join(dir, "dist"), only: ["boot", "artifacts"] }),
    (async () => {
      sb = await startSwiftboot({ settings: { IPXE_USE_SWIFT: "false" } });
    })(),
  ]);
  const listening = sb.logs.find((l) => l.msg === "listening");
  const ddb = /\((http:\/\/[^)]+)\)/.exec(String(listening?.store))?.[1];
  if (ddb === undefined)
    throw new Error(`no DynamoDB Local endpoint in ${JSON.stringify(listening)}`);
  await sb.importRecords({
    images: [
      {
        id: KERNEL_ID,
        name: "e2e front kernel",
        swift: { object: "unused/vmlinuz", container: "unused" },
        origin: `http://127.0.0.1:${origin.port}/origin/vmlinuz`,
        ...kernel,
      },
      {
        id: RAMDISK_ID,
        name: "e2e front ramdisk",
        swift: { object: "unused/initrd", container: "unused" },
        origin: `http://127.0.0.1:${origin.port}/origin/initrd`,
        size: ramdisk.size,
        sha256: ramdisk.sha256,
      },
    ],
    nodes: [
      {
        id: "e2e-front",
        name: "e2e-front",
        macs: [MAC],
        state: "deploying",
        deploy: { kernel: KERNEL_ID, ramdisk: RAMDISK_ID },
        kernel_args: "console=ttyS0 e2e=front",
      },
    ],
  });

  // The cache bucket, on the local Swift's S3 API.
  const bucket = `swiftboot-front-${Date.now()}`;
  const credentials = { accessKeyId: "test:tester", secretAccessKey: "testing" };
  await new S3Client({
    endpoint: swift.proxyUrl,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
  }).send(new CreateBucketCommand({ Bucket: bucket }));

  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicKeyFile = join(dir, "public.pem");
  writeFileSync(publicKeyFile, pair.publicKey.export({ type: "spki", format: "pem" }));
  const byName = new Map(bundles.map((b) => [b.name, b.file]));
  // The functions' environment as infra/stack.ts sets it behind the front.
  front = spawnTethered(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [
      "test/e2e/support/front-standin.ts",
      byName.get("boot") ?? "",
      byName.get("artifacts") ?? "",
      publicKeyFile,
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? dir,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        SWIFTBOOT_STORE_ENDPOINT: ddb,
        SWIFTBOOT_STORE_TABLE: "swiftboot",
        SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "front-e2e-artifact-key-0123456789",
        SWIFTBOOT_FRONT_VIEWER_HEADERS: "true",
        SWIFTBOOT_FRONT_KEY_PAIR_ID: "KE2EFRONTKEY",
        SWIFTBOOT_FRONT_PRIVATE_KEY: pair.privateKey
          .export({ type: "pkcs1", format: "pem" })
          .toString(),
        SWIFTBOOT_CACHE_FILL_WAIT_MS: "20000",
        // Long enough for the tampering checks after the boot to try the untampered URL too.
        SWIFTBOOT_FRONT_URL_DURATION: "900",
        CACHE_BUCKET: bucket,
        CACHE_BUCKET_ENDPOINT: swift.proxyUrl,
        CACHE_BUCKET_REGION: "us-east-1",
      },
    },
  );
  const lines = createInterface({ input: front.stdout as NodeJS.ReadableStream });
  const stderr: string[] = [];
  front.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  frontPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the stand-in front did not start: ${stderr.join("")}`)),
      60_000,
    );
    front.once("exit", (code) =>
      reject(new Error(`the stand-in front exited (${code}): ${stderr.join("")}`)),
    );
    lines.on("line", (line) => {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      frontLog.push(entry);
      if (typeof entry.listening === "number") {
        clearTimeout(timer);
        resolve(entry.listening);
      }
    });
  });
}, 180_000);

afterAll(async () => {
  if (front?.pid !== undefined) {
    try {
      process.kill(-front.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await sb?.stop();
  await origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const frontUrl = (path: string) => `http://${GUEST_HOST}:${frontPort}${path}`;

describe("through a stand-in of the CloudFront front", () => {
  it("boots a deploying node over plain HTTP, its 210 MiB ramdisk from a CloudFront signed URL", async () => {
    const first = frontLog.length;
    const result = await bootInTest(
      {
        mac: MAC,
        mode: "rom",
        chainUrl: frontUrl("/boot.ipxe"),
        memoryMb: 1024,
        timeoutMs: 240_000,
      },
      `front ${MAC}`,
    );
    const log = frontLog.slice(first).filter((l) => typeof l.front === "string");
    expect(result.end, JSON.stringify(log)).toBe("marker");
    expect(result.marker?.cmdline.split(/\s+/)).toEqual([
      "initrd=ramdisk",
      "BOOTIF=01-52-54-00-5b-03-01",
      // The callback URL names the front too (docs/provisioning.md).
      expect.stringMatching(/^swiftboot\.callback=http:\/\/10\.0\.2\.2:\d+\/v1\/callbacks\/node\//),
      "console=ttyS0",
      "e2e=front",
    ]);
    // iPXE prints the URLs it was given (it follows redirects silently): the front's.
    const text = unwrapConsole(result.transcript);
    expect(text).toContain(`${frontUrl("/v1/artifacts/")}${KERNEL_ID}/`);
    expect(text).toContain(`${frontUrl("/v1/artifacts/")}${RAMDISK_ID}/`);
    expect(text).not.toContain("lambda-url");
    // Each artifact: swiftboot's signed URL answered 302 (after 503s while a fill ran), then
    // the object served whole on a CloudFront signature that verified.
    for (const [id, size] of [
      [KERNEL_ID, kernel.size],
      [RAMDISK_ID, ramdisk.size],
    ] as const) {
      const route = log.filter((l) => String(l.front).startsWith(`/v1/artifacts/${id}/`));
      expect(route.at(-1)).toMatchObject({
        status: 302,
        location: expect.stringMatching(
          new RegExp(
            `^http://10\\.0\\.2\\.2:${frontPort}/artifacts/${id}/[0-9a-f]+\\?Expires=\\d+&Key-Pair-Id=KE2EFRONTKEY&Signature=`,
          ),
        ),
      });
      for (const earlier of route.slice(0, -1)) expect(earlier.status).toBe(503);
      const objects = log.filter((l) => String(l.front).startsWith(`/artifacts/${id}/`));
      expect(objects).toEqual([
        expect.objectContaining({ status: 200, signed: true, bytes: size }),
      ]);
    }
    expect(origin.requests.filter((r) => r.url === "/origin/initrd")).toHaveLength(1);
  }, 300_000);

  it("refuses an object URL whose CloudFront signature was tampered with", async () => {
    const location = frontLog
      .map((l) => l.location)
      .find((l): l is string => typeof l === "string" && l.includes(`/artifacts/${KERNEL_ID}/`));
    expect(location).toBeDefined();
    const signed = new URL(location as string);
    const head = (host: string, pathAndQuery: string) =>
      new Promise<number>((resolve, reject) => {
        request(
          {
            host: "127.0.0.1",
            port: frontPort,
            method: "HEAD",
            path: pathAndQuery,
            headers: { host },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on("error", reject)
          .end();
      });
    const guestHost = `${GUEST_HOST}:${frontPort}`;
    // As signed, it is served (the check itself, before the tampered ones).
    expect(await head(guestHost, `${signed.pathname}${signed.search}`)).toBe(200);
    // Signed for the guest's host name: another is refused, as are another path or expiry.
    expect(await head(`127.0.0.1:${frontPort}`, `${signed.pathname}${signed.search}`)).toBe(403);
    const otherPath = signed.pathname.replace(KERNEL_ID, RAMDISK_ID);
    expect(await head(guestHost, `${otherPath}${signed.search}`)).toBe(403);
    const later = new URLSearchParams(signed.search);
    later.set("Expires", String(Number(later.get("Expires")) + 3600));
    expect(await head(guestHost, `${signed.pathname}?${later}`)).toBe(403);
  });
});
