import { defineConfig } from "vitest/config";

/**
 * End-to-end tier: real iPXE (Debian's build) in QEMU under TCG, booting over HTTP from a
 * server on the host. `npm run test:e2e`. Needs qemu-system-x86, ipxe, ipxe-qemu,
 * busybox-static and cpio (`scripts/e2e-payload.sh install`); the global setup builds the boot
 * payload into .cache/e2e/ (the first run downloads Debian's cloud kernel package through apt).
 */
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/support/global-setup.ts"],
    // One boot per test, each limited to 60 s by bootMachine's own timeout.
    testTimeout: 90_000,
    // Starting a server (and, on a cold cache, building the payload) happens in hooks.
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // TCG on 2 cores: one QEMU at a time.
    fileParallelism: false,
    pool: "forks",
  },
});
