import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnTethered } from "./tether.ts";

/**
 * Boots a QEMU machine (TCG, no KVM) into Debian's iPXE and captures its console.
 *
 * - `lkrn`: `-kernel ipxe.lkrn` with a first script (`dhcp`, `chain <chainUrl>`) as its initrd.
 * - `rom`: the virtio NIC's own iPXE ROM (`-boot n`), told where to chain by the DHCP bootfile.
 *
 * From the guest 10.0.2.2 is the host's loopback: serve on 127.0.0.1 and chain to
 * `http://10.0.2.2:<port>/...`.
 */

export type BootMode = "lkrn" | "rom";

export const MARKER = "SWIFTBOOT-E2E-MARKER";
/** Printed by the boot sector of the payload's local disk (see scripts/e2e-payload.sh). */
export const LOCAL_DISK_MARKER = "SWIFTBOOT-E2E-LOCAL-DISK";
const MARKER_LINE = new RegExp(`${MARKER} cmdline=([^\\n]*)\\n`);

export const IPXE_LKRN = "/usr/lib/ipxe/ipxe.lkrn";

export interface BootOptions {
  /** NIC MAC address, `52:54:00:...`. */
  mac: string;
  /** SMBIOS system UUID (`${uuid}` in iPXE). */
  uuid?: string;
  mode: BootMode;
  /** The first URL iPXE chains to, e.g. `http://10.0.2.2:<port>/boot.ipxe`. */
  chainUrl: string;
  /** Hard limit for the whole boot; QEMU is killed when it is reached. */
  timeoutMs: number;
  /** Resolve (and stop the machine) as soon as the console transcript matches this. */
  until?: RegExp;
  /** How long to let the guest power itself off after the marker before killing it. */
  exitGraceMs?: number;
  memoryMb?: number;
  /**
   * A raw disk image attached as the first IDE hard disk (opened with snapshot=on, so it is
   * never written), e.g. the payload's local disk whose boot sector prints LOCAL_DISK_MARKER.
   */
  disk?: string;
  signal?: AbortSignal;
  /**
   * The whole QEMU command line after the program name, for machines the two modes do not
   * describe (OVMF, swiftboot's own iPXE: test/e2e/support/own-ipxe.ts); `mode` and `chainUrl`
   * are then only labels.
   */
  args?: string[];
  /** A command QEMU runs under, e.g. `ip netns exec <ns>` for a network of the test's own. */
  wrapper?: string[];
}

export type BootEnd = "marker" | "until" | "exit" | "timeout" | "aborted";

export interface BootResult {
  /** Serial console with ANSI escapes, carriage returns and backspaced characters removed. */
  transcript: string;
  /** The initramfs marker line, when the payload kernel reached userspace. */
  marker?: { cmdline: string };
  /** QEMU's exit code; null when it had to be killed. */
  exitCode: number | null;
  /** Why the boot ended. */
  end: BootEnd;
  durationMs: number;
  /** QEMU's stderr (warnings, errors). */
  stderr: string;
  /** The command line, for failure reports. */
  command: string[];
}

export interface Machine {
  /** The console so far (cleaned), e.g. for a failure report while the boot is still running. */
  readonly transcript: string;
  readonly result: Promise<BootResult>;
  /** Stops the machine now; `result` then resolves with `end: "aborted"`. */
  stop(): void;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences are the point
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: character set designations (ESC ( B)
const CHARSET = /\u001b[()*+][ -~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: two-byte escapes: ESC c (reset), ESC 7, ...
const ESC2 = /\u001b[0-Z\\-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a character erased by a backspace
const BACKSPACED = /[^\n\u0008]\u0008/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: leftover control characters
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Serial console bytes as text a test can match on. */
export function cleanConsole(raw: string): string {
  let text = raw.replace(CSI, "").replace(CHARSET, "").replace(ESC2, "").replace(/\r/g, "");
  for (let before = ""; before !== text; ) {
    before = text;
    text = text.replace(BACKSPACED, "");
  }
  return text.replace(CONTROL, "");
}

/** Width of the BIOS text screen that SeaBIOS mirrors to the serial console. */
export const SCREEN_COLUMNS = 80;

/**
 * Rejoins lines that the mirrored 80-column BIOS screen wrapped (iPXE's own output goes through
 * it; the Linux kernel writes to the serial port directly and is not wrapped). A line that is
 * exactly 80 characters long is taken to continue on the next one.
 */
export function unwrapConsole(text: string): string {
  const out: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (line.length === SCREEN_COLUMNS) {
      pending += line;
    } else {
      out.push(pending + line);
      pending = "";
    }
  }
  if (pending !== "") out.push(pending);
  return out.join("\n");
}

export function qemuArgs(opts: BootOptions, firstScript?: string): string[] {
  const args = ["-accel", "tcg", "-m", String(opts.memoryMb ?? 512), "-nographic", "-no-reboot"];
  if (opts.uuid !== undefined) args.push("-smbios", `type=1,uuid=${opts.uuid}`);
  if (opts.disk !== undefined) {
    if (opts.disk.includes(",")) throw new Error("disk path must not contain a comma");
    args.push("-drive", `file=${opts.disk},format=raw,if=ide,snapshot=on`);
  }
  if (opts.mode === "lkrn") {
    if (firstScript === undefined) throw new Error("lkrn mode needs a first script file");
    args.push(
      "-netdev",
      "user,id=n0",
      "-device",
      `virtio-net-pci,netdev=n0,mac=${opts.mac}`,
      "-kernel",
      IPXE_LKRN,
      "-initrd",
      firstScript,
    );
  } else {
    // DHCP's file field is 128 bytes including the terminating NUL.
    if (Buffer.byteLength(opts.chainUrl) >= 128) {
      throw new Error(`bootfile must be under 128 bytes: ${opts.chainUrl}`);
    }
    if (opts.chainUrl.includes(",")) throw new Error("bootfile must not contain a comma");
    args.push(
      "-boot",
      "n",
      "-netdev",
      `user,id=n0,bootfile=${opts.chainUrl}`,
      "-device",
      `virtio-net-pci,netdev=n0,mac=${opts.mac}`,
    );
  }
  return args;
}

/** QEMU process groups still running, killed if this process goes away. */
const live = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
  live.delete(pid);
}

/**
 * The lkrn path's first script, stored under a name derived from its content so that nothing
 * needs cleaning up, even when this process is killed mid-boot.
 */
function firstScriptFile(chainUrl: string): string {
  const content = `#!ipxe\ndhcp\nchain ${chainUrl}\n`;
  const dir = join(tmpdir(), "swiftboot-e2e");
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `first-${createHash("sha256").update(content).digest("hex").slice(0, 16)}.ipxe`,
  );
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, content);
    renameSync(partial, file);
  }
  return file;
}

let exitHooksInstalled = false;
/** Set by a termination signal: no new machine starts while this process is being stopped. */
let terminating: NodeJS.Signals | undefined;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => {
    for (const pid of [...live]) killGroup(pid);
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      terminating = sig;
      for (const pid of [...live]) killGroup(pid);
      process.off(sig, handler);
      // Nobody else handles it: behave like the default action.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

export function startMachine(opts: BootOptions): Machine {
  installExitHooks();
  if (terminating !== undefined) {
    throw new Error(`not starting a machine: this process got ${terminating} and is stopping`);
  }
  const started = performance.now();
  const firstScript =
    opts.mode === "lkrn" && opts.args === undefined ? firstScriptFile(opts.chainUrl) : undefined;
  const command = [
    ...(opts.wrapper ?? []),
    "qemu-system-x86_64",
    ...(opts.args ?? qemuArgs(opts, firstScript)),
  ];
  // Should this process die without running its exit hooks (SIGKILL), the tether kills QEMU at
  // once, and `timeout` a few seconds after the boot's own limit whatever happens.
  const backstopSeconds = Math.ceil(opts.timeoutMs / 1000) + 10;
  // --foreground: `timeout` would otherwise move QEMU to a process group of its own, out of reach
  // of the tether and of killGroup.
  const child: ChildProcess = spawnTethered("timeout", [
    "--foreground",
    "--signal=KILL",
    `${backstopSeconds}s`,
    ...command,
  ]);
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);

  let raw = "";
  let stderr = "";
  let cleaned = "";
  let dirty = false;
  const transcript = () => {
    if (dirty) {
      cleaned = cleanConsole(raw);
      dirty = false;
    }
    return cleaned;
  };

  let settle: (end: BootEnd) => void = () => {};
  const result = new Promise<BootResult>((resolve) => {
    let ended: BootEnd | undefined;
    let exitCode: number | null = null;
    let exited = false;
    const timers: NodeJS.Timeout[] = [];

    const finish = () => {
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener("abort", onAbort);
      if (pid !== undefined) killGroup(pid);
      const text = transcript();
      const match = MARKER_LINE.exec(text);
      resolve({
        transcript: text,
        ...(match?.[1] !== undefined ? { marker: { cmdline: match[1].trim() } } : {}),
        exitCode,
        end: ended ?? "exit",
        durationMs: Math.round(performance.now() - started),
        stderr,
        command,
      });
    };

    settle = (end: BootEnd) => {
      if (ended !== undefined) return;
      ended = end;
      if (exited) return finish();
      if (end === "marker") {
        // Let `poweroff -f` end QEMU on its own, so exitCode says whether it did.
        timers.push(setTimeout(finish, opts.exitGraceMs ?? 5_000));
      } else {
        finish();
      }
    };

    const onAbort = () => settle("aborted");
    if (opts.signal?.aborted) queueMicrotask(onAbort);
    opts.signal?.addEventListener("abort", onAbort);
    timers.push(setTimeout(() => settle("timeout"), opts.timeoutMs));

    child.on("error", (err) => {
      stderr += `spawn failed: ${err.message}\n`;
      exited = true;
      if (ended === undefined) ended = "exit";
      finish();
    });
    child.on("exit", (code) => {
      exitCode = code;
      exited = true;
      if (ended === undefined) ended = "exit";
      // stdout may still hold the last bytes; "close" follows once the pipes are drained.
    });
    child.on("close", () => {
      exited = true;
      if (ended === undefined) ended = "exit";
      finish();
    });
  });

  child.stdout?.setEncoding("latin1");
  child.stdout?.on("data", (chunk: string) => {
    raw += chunk;
    dirty = true;
    const text = transcript();
    if (MARKER_LINE.test(text)) settle("marker");
    else if (opts.until?.test(text)) settle("until");
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });

  return {
    get transcript() {
      return transcript();
    },
    result,
    stop: () => settle("aborted"),
  };
}

export function bootMachine(opts: BootOptions): Promise<BootResult> {
  return startMachine(opts).result;
}

/** A readable account of a boot for failure output. */
export function describeBoot(boot: BootResult | { transcript: string }, title = "boot"): string {
  const lines = [`----- ${title}: console transcript -----`, boot.transcript.trimEnd()];
  if ("command" in boot) {
    lines.push(
      `----- end (${boot.end}, exit ${boot.exitCode}, ${boot.durationMs} ms) -----`,
      `command: ${boot.command.join(" ")}`,
    );
    if (boot.stderr.trim() !== "") lines.push(`stderr: ${boot.stderr.trimEnd()}`);
  } else {
    lines.push("----- (boot still running) -----");
  }
  return lines.join("\n");
}
