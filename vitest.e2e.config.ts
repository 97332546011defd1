import { defineConfig } from "vitest/config";

/**
 * End-to-end tier: real iPXE (Debian's build) in QEMU under TCG chainloads swiftboot's
 * `/boot.ipxe` from the real local server, which hands out temp URLs of a real local Swift or its
 * own artifact URLs. `npm run test:e2e`; docs/testing.md. Needs qemu-system-x86, ipxe, ipxe-qemu,
 * busybox-static and cpio (`scripts/e2e-payload.sh install`), Debian's Swift packages
 * (`bash scripts/swift-aio.sh install`), Java 17 (the server's DynamoDB Local) and root (Swift).
 * The global setup builds the boot payload into .cache/e2e/ (the first run downloads Debian's
 * cloud kernel package through apt) while it starts Swift, and uploads the payload to it.
 */
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/support/global-setup.ts"],
    // One boot per test, each limited to 60 s by bootMachine's own timeout.
    testTimeout: 90_000,
    // Starting swiftboot (with its DynamoDB Local) happens in hooks: 5-20 s, more under load.
    hookTimeout: 180_000,
    // Stopping Swift (global teardown) takes a few seconds.
    teardownTimeout: 60_000,
    // TCG on 2 cores: one QEMU at a time.
    fileParallelism: false,
    pool: "forks",
  },
});
