import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { createServer, get } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createMemoryLogger } from "../../shared/log/index.ts";
import { readTls, reloadTlsOnChange } from "./tls.ts";

const FIXTURES = join(import.meta.dirname, "../../test/e2e/fixtures/tls");
const dir = mkdtempSync(join(tmpdir(), "swiftboot-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The issuer's common name of the certificate the server presents now. */
function presentedIssuer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, rejectUnauthorized: false, agent: false }, (res) => {
      const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
      res.resume();
      resolve(String(cert.issuer.CN));
    });
    req.on("error", reject);
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

it("reloads a renewed certificate without a restart, and keeps the old one when the pair is bad", async () => {
  const files = { cert: join(dir, "tls.pem"), key: join(dir, "tls.key") };
  copyFileSync(join(FIXTURES, "server.pem"), files.cert);
  copyFileSync(join(FIXTURES, "server.key"), files.key);
  const { logger, records } = createMemoryLogger();
  const server = createServer(readTls(files), (_req, res) => res.end("ok"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const stop = reloadTlsOnChange(server, files, logger);
  try {
    expect(await presentedIssuer(port)).toBe("swiftboot test ca (tests only)");

    // A key that does not match the certificate: refused, the running pair stays.
    copyFileSync(join(FIXTURES, "untrusted-server.key"), `${files.key}.new`);
    renameSync(`${files.key}.new`, files.key);
    await until(
      () => records().some((r) => r.msg?.toString().includes("reload failed")),
      "a refusal",
    );
    expect(await presentedIssuer(port)).toBe("swiftboot test ca (tests only)");

    // The matching certificate arrives: the new pair is served.
    copyFileSync(join(FIXTURES, "untrusted-server.pem"), `${files.cert}.new`);
    renameSync(`${files.cert}.new`, files.cert);
    await until(() => records().some((r) => r.msg === "TLS certificate reloaded"), "a reload");
    expect(await presentedIssuer(port)).toBe("swiftboot test other-ca (tests only)");
  } finally {
    stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

it("names a missing file without reading anything", () => {
  expect(() => readTls({ cert: join(dir, "nope.pem"), key: join(dir, "nope.key") })).toThrow(
    /^server\.tls_cert .*nope\.pem: ENOENT$/,
  );
});
