import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const PAYLOAD_SCRIPT = fileURLToPath(
  new URL("../../../scripts/e2e-payload.sh", import.meta.url),
);

/** The boot payload built by scripts/e2e-payload.sh. */
export interface Payload {
  cacheDir: string;
  /** bzImage from Debian's cloud kernel package. */
  kernel: string;
  /** busybox initramfs (cpio newc, gzip) printing the marker line and powering off. */
  initrd: string;
  /**
   * busybox initramfs with virtio-net that reports to `swiftboot.callback=` with wget, prints
   * `SWIFTBOOT-E2E-REPORT rc=<code> <answer>`, then the marker line, and powers off.
   */
  callbackInitrd: string;
  /** 1 MiB raw disk whose boot sector prints SWIFTBOOT-E2E-LOCAL-DISK and halts. */
  localDisk: string;
  kernelPackage: string;
}

/** Builds (or reuses) the payload in `.cache/e2e/`. Slow only the first time (apt download). */
export async function buildPayload(): Promise<Payload> {
  const { stdout } = await run("bash", [PAYLOAD_SCRIPT, "build"], {
    cwd: REPO_ROOT,
    maxBuffer: 1 << 20,
    timeout: 300_000,
  });
  const values = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (value === undefined || value === "") {
      throw new Error(`${PAYLOAD_SCRIPT} printed no ${key}; output was:\n${stdout}`);
    }
    return value;
  };
  return {
    cacheDir: get("CACHE_DIR"),
    kernel: get("KERNEL"),
    initrd: get("INITRD"),
    callbackInitrd: get("INITRD_CALLBACK"),
    localDisk: get("LOCAL_DISK"),
    kernelPackage: get("KERNEL_PACKAGE"),
  };
}
