import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  sendFile,
  sendScript,
  sendText,
  startTestServer,
  type TestServer,
} from "./support/http.ts";
import type { BootMode } from "./support/qemu.ts";
import { bootInTest } from "./support/vitest.ts";

/**
 * The harness itself, without swiftboot: a hand-written script served by a static server boots
 * the payload kernel through both NIC paths, and the initramfs reports the kernel command line.
 */

const payload = inject("e2ePayload");
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/boot.ipxe") {
      return sendScript(res, [
        `kernel ${server.guestUrl("/vmlinuz")} console=ttyS0 marker=hello`,
        `initrd ${server.guestUrl("/initrd.gz")}`,
        "boot",
      ]);
    }
    if (path === "/vmlinuz") return sendFile(res, payload.kernel);
    if (path === "/initrd.gz") return sendFile(res, payload.initrd);
    sendText(res, 404, "not found\n");
  });
});

afterAll(async () => {
  await server?.close();
});

const MACS: Record<BootMode, string> = {
  lkrn: "52:54:00:e2:e0:01",
  rom: "52:54:00:e2:e0:02",
};

describe.each(["lkrn", "rom"] as const)("%s", (mode) => {
  it("boots a kernel and initrd from a served script and reaches the marker", async () => {
    const first = server.requests.length;
    const boot = await bootInTest({
      mac: MACS[mode],
      mode,
      chainUrl: server.guestUrl("/boot.ipxe"),
      timeoutMs: 60_000,
    });

    expect(boot.end).toBe("marker");
    expect(boot.marker?.cmdline).toContain("marker=hello");
    expect(boot.marker?.cmdline.split(/\s+/)).toEqual(
      expect.arrayContaining(["console=ttyS0", "marker=hello"]),
    );
    // `poweroff -f` ended QEMU by itself.
    expect(boot.exitCode).toBe(0);
    expect(boot.transcript).toContain(`Configuring (net0 ${MACS[mode]})`);

    const mine = server.requests.slice(first);
    expect(mine.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
      "GET /boot.ipxe 200",
      "GET /vmlinuz 200",
      "GET /initrd.gz 200",
    ]);
    expect(mine[0]?.headers["user-agent"]).toMatch(/^iPXE\//);
  });
});
