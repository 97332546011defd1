import { execFileSync } from "node:child_process";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "./payload.ts";
import { spawnTethered, whenThisProcessEnds } from "./tether.ts";

/**
 * A network of the test's own for UEFI HTTP Boot: a network namespace holding a tap device for
 * QEMU, dnsmasq answering DHCP on it (option 60 `HTTPClient` and swiftboot's `/ipxe/ipxe.efi` as
 * the boot file for HTTP Boot clients, as docs/ipxe.md tells operators), and a forwarder that
 * carries the guest's connections to `SERVER_ADDRESS:80` over to swiftboot on the host's
 * loopback. QEMU's user networking cannot send option 60, hence the namespace. Needs root.
 */

export const SERVER_ADDRESS = "10.77.0.1";
const TAP = "sbtap0";

export interface HttpBootNet {
  namespace: string;
  /** QEMU arguments for a NIC on the namespace's tap device (QEMU must run in the namespace). */
  nicArgs(mac: string): string[];
  /** Prefix for a command that must run in the namespace. */
  exec: string[];
  /** What dnsmasq logged (DHCP transactions, with --log-dhcp). */
  dnsmasqLog: string[];
  stop(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

export async function startHttpBootNet(opts: {
  swiftbootPort: number;
  workDir: string;
}): Promise<HttpBootNet> {
  const namespace = `sbe2e${process.pid}`;
  const socketPath = join(opts.workDir, "forward.sock");
  const stops: (() => void | Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  try {
    ip("netns", "add", namespace);
    // Should this process be SIGKILLed, the namespace (and its tap device) goes all the same.
    const dismiss = whenThisProcessEnds('ip netns delete "$0"', [namespace]);
    stops.push(() => {
      dismiss();
      try {
        ip("netns", "delete", namespace);
      } catch {
        // already gone
      }
    });
    const inNs = (...args: string[]) => ip("netns", "exec", namespace, "ip", ...args);
    inNs("link", "set", "lo", "up");
    inNs("tuntap", "add", "dev", TAP, "mode", "tap");
    inNs("addr", "add", `${SERVER_ADDRESS}/24`, "dev", TAP);
    inNs("link", "set", TAP, "up");

    // Host side of the forwarder: each connection from the namespace goes to swiftboot.
    const relay: Server = createServer((from) => {
      const to = connect(opts.swiftbootPort, "127.0.0.1");
      from.pipe(to);
      to.pipe(from);
      const end = () => {
        from.destroy();
        to.destroy();
      };
      from.on("error", end);
      to.on("error", end);
    });
    await new Promise<void>((resolve) => relay.listen(socketPath, resolve));
    stops.push(() => new Promise<void>((resolve) => relay.close(() => resolve())));

    const exec = ["ip", "netns", "exec", namespace];
    const forward = spawnTethered(exec[0] as string, [
      ...exec.slice(1),
      process.execPath,
      join(REPO_ROOT, "test/e2e/support/netns-forward.mjs"),
      SERVER_ADDRESS,
      "80",
      socketPath,
    ]);
    stops.push(() => killGroup(forward.pid));
    await new Promise<void>((resolve, reject) => {
      forward.once("exit", (code) => reject(new Error(`the forwarder exited (${code})`)));
      forward.stdout?.once("data", () => resolve());
    });

    const dnsmasqLog: string[] = [];
    const dnsmasq = spawnTethered(exec[0] as string, [
      ...exec.slice(1),
      "dnsmasq",
      "--keep-in-foreground",
      "--log-facility=-",
      "--log-dhcp",
      "--conf-file=/dev/null",
      "--port=0",
      `--interface=${TAP}`,
      "--bind-interfaces",
      `--dhcp-leasefile=${join(opts.workDir, "dnsmasq.leases")}`,
      "--pid-file=",
      "--dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h",
      // The snippet docs/ipxe.md gives operators.
      "--dhcp-vendorclass=set:uefi-http,HTTPClient",
      "--dhcp-option-force=tag:uefi-http,60,HTTPClient",
      `--dhcp-boot=tag:uefi-http,http://${SERVER_ADDRESS}/ipxe/ipxe.efi`,
    ]);
    stops.push(() => killGroup(dnsmasq.pid));
    if (dnsmasq.stderr !== null) {
      createInterface({ input: dnsmasq.stderr }).on("line", (l) => dnsmasqLog.push(l));
    }
    if (dnsmasq.stdout !== null) {
      createInterface({ input: dnsmasq.stdout }).on("line", (l) => dnsmasqLog.push(l));
    }
    const deadline = Date.now() + 10_000;
    while (!dnsmasqLog.some((l) => l.includes("DHCP, IP range"))) {
      if (dnsmasq.exitCode !== null || Date.now() > deadline) {
        throw new Error(`dnsmasq did not start:\n${dnsmasqLog.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      namespace,
      exec,
      nicArgs: (mac) => [
        ...["-netdev", `tap,id=n0,ifname=${TAP},script=no,downscript=no`],
        ...["-device", `virtio-net-pci,netdev=n0,mac=${mac},romfile=`],
      ],
      dnsmasqLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone
  }
}
