import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type LoggedRequest,
  sendScript,
  sendText,
  startTestServer,
  type TestServer,
} from "./support/http.ts";
import { LOCAL_DISK_MARKER, unwrapConsole } from "./support/qemu.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * What Debian's iPXE build (1.0.0+git-20190125.36a4c85) does in QEMU, pinned as tests because
 * swiftboot's scripts depend on it. docs/testing.md ("iPXE in QEMU") summarises the results.
 */

const payload = inject("e2ePayload");
const UUID = "4c4c4544-0042-3510-8052-b4c04f384d32";

type Route = (res: ServerResponse, hits: number) => void;
const routes = new Map<string, Route>();
const hits = new Map<string, number>();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const route = [...routes.entries()].find(([prefix]) => path.startsWith(prefix));
    if (route === undefined) return sendText(res, 404, "not found\n");
    const count = (hits.get(route[0]) ?? 0) + 1;
    hits.set(route[0], count);
    route[1](res, count);
  });
});

afterAll(async () => {
  await server?.close();
});

function requestsUnder(prefix: string): LoggedRequest[] {
  return server.requests.filter((r) => r.url.startsWith(prefix));
}

describe("settings", () => {
  const probe = (prefix: string) => {
    routes.set(`${prefix}/start.ipxe`, (res) =>
      sendScript(res, [
        `echo SETTINGS mac=\${mac:hexhyp} uuid=\${uuid} buildarch=\${buildarch} platform=\${platform}`,
        `chain ${server.guestUrl(prefix)}/seen/\${mac:hexhyp}/\${buildarch}/\${platform}/\${uuid}?mac=\${mac}&uuid=\${uuid}&arch=\${buildarch}`,
      ]),
    );
    routes.set(`${prefix}/seen/`, (res) => sendScript(res, ["echo SETTINGS-DONE"]));
  };

  it("ROM path with an SMBIOS UUID: hexhyp MAC, lower-case UUID, i386, pcbios", async () => {
    probe("/settings-rom");
    const boot = await bootInTest({
      mac: "52:54:00:AB:CD:01",
      uuid: UUID.toUpperCase(),
      mode: "rom",
      chainUrl: server.guestUrl("/settings-rom/start.ipxe"),
      timeoutMs: 60_000,
      until: /SETTINGS-DONE\n/,
    });
    expect(boot.end).toBe("until");
    expect(unwrapConsole(boot.transcript)).toContain(
      `SETTINGS mac=52-54-00-ab-cd-01 uuid=${UUID} buildarch=i386 platform=pcbios`,
    );
    expect(requestsUnder("/settings-rom/seen/").map((r) => r.url)).toEqual([
      `/settings-rom/seen/52-54-00-ab-cd-01/i386/pcbios/${UUID}` +
        `?mac=52%3A54%3A00%3Aab%3Acd%3A01&uuid=${UUID}&arch=i386`,
    ]);
  });

  it("lkrn path without an SMBIOS UUID: the UUID is all zeros", async () => {
    probe("/settings-lkrn");
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:02",
      mode: "lkrn",
      chainUrl: server.guestUrl("/settings-lkrn/start.ipxe"),
      timeoutMs: 60_000,
      until: /SETTINGS-DONE\n/,
    });
    expect(boot.end).toBe("until");
    const nil = "00000000-0000-0000-0000-000000000000";
    expect(unwrapConsole(boot.transcript)).toContain(
      `SETTINGS mac=52-54-00-ab-cd-02 uuid=${nil} buildarch=i386 platform=pcbios`,
    );
    expect(requestsUnder("/settings-lkrn/seen/").map((r) => r.url)).toEqual([
      `/settings-lkrn/seen/52-54-00-ab-cd-02/i386/pcbios/${nil}` +
        `?mac=52%3A54%3A00%3Aab%3Acd%3A02&uuid=${nil}&arch=i386`,
    ]);
  });
});

describe("HTTP 503", () => {
  it("is retried, after the given delay, when it carries Retry-After", async () => {
    routes.set("/retry-after/", (res, n) => {
      if (n <= 2) return sendText(res, 503, "busy\n", { "retry-after": "1" });
      sendScript(res, ["echo RETRY-DONE"]);
    });
    routes.set("/retry-first.ipxe", (res) =>
      sendScript(res, [
        `chain ${server.guestUrl("/retry-after/x.ipxe")} || echo RETRY-FAILED`,
        "echo RETRY-FAILED",
      ]),
    );
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:03",
      mode: "lkrn",
      chainUrl: server.guestUrl("/retry-first.ipxe"),
      timeoutMs: 60_000,
      until: /RETRY-(DONE|FAILED)\n/,
    });
    expect(boot.transcript).toContain("RETRY-DONE");
    const seen = requestsUnder("/retry-after/");
    expect(seen.map((r) => r.status)).toEqual([503, 503, 200]);
    for (let i = 1; i < seen.length; i++) {
      const gap = (seen[i]?.at ?? 0) - (seen[i - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(900);
    }
  });

  it("fails the download at once without Retry-After", async () => {
    routes.set("/no-retry-after/", (res) => sendText(res, 503, "busy\n"));
    routes.set("/no-retry-first.ipxe", (res) =>
      sendScript(res, [`chain ${server.guestUrl("/no-retry-after/x.ipxe")} || echo CHAIN-FAILED`]),
    );
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:04",
      mode: "lkrn",
      chainUrl: server.guestUrl("/no-retry-first.ipxe"),
      timeoutMs: 60_000,
      until: /CHAIN-FAILED\n/,
    });
    expect(boot.end).toBe("until");
    expect(unwrapConsole(boot.transcript)).toContain("HTTP 5xx Server Error");
    expect(requestsUnder("/no-retry-after/").map((r) => r.status)).toEqual([503]);
  });
});

describe("leaving the network boot", () => {
  it("`exit` from the NIC ROM makes SeaBIOS try the next boot device (the local disk)", async () => {
    routes.set("/exit-disk.ipxe", (res) => sendScript(res, ["echo EXITING", "exit"]));
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:05",
      mode: "rom",
      chainUrl: server.guestUrl("/exit-disk.ipxe"),
      disk: payload.localDisk,
      timeoutMs: 60_000,
      until: new RegExp(LOCAL_DISK_MARKER),
    });
    expect(boot.end).toBe("until");
    const after = boot.transcript.slice(boot.transcript.indexOf("EXITING"));
    expect(after).toMatch(/No more network devices\n[\s\S]*Booting from Hard Disk\.\.\.\n/);
    expect(after).toContain(LOCAL_DISK_MARKER);
  });

  it("`exit` with nothing else to boot ends at SeaBIOS's `No bootable device.`", async () => {
    routes.set("/exit-nothing.ipxe", (res) => sendScript(res, ["echo EXITING", "exit"]));
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:06",
      mode: "rom",
      chainUrl: server.guestUrl("/exit-nothing.ipxe"),
      timeoutMs: 60_000,
      until: /No bootable device\./,
    });
    expect(boot.end).toBe("until");
    expect(boot.transcript.slice(boot.transcript.indexOf("EXITING"))).toMatch(
      /No more network devices\n[\s\S]*Boot failed: could not read the boot disk/,
    );
  });

  it("`sanboot --no-describe --drive 0x80` boots the local disk directly", async () => {
    routes.set("/sanboot.ipxe", (res) =>
      sendScript(res, ["sanboot --no-describe --drive 0x80 || echo SANBOOT-FAILED"]),
    );
    const boot = await bootInTest({
      mac: "52:54:00:ab:cd:07",
      mode: "rom",
      chainUrl: server.guestUrl("/sanboot.ipxe"),
      disk: payload.localDisk,
      timeoutMs: 60_000,
      until: new RegExp(`${LOCAL_DISK_MARKER}|SANBOOT-FAILED`),
    });
    expect(boot.transcript).toContain("Booting from SAN device 0x80");
    expect(boot.transcript).toContain(LOCAL_DISK_MARKER);
    expect(boot.transcript).not.toContain("SANBOOT-FAILED");
  });
});
