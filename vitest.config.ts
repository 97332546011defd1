import { defineConfig } from "vitest/config";

/**
 * Two tiers. `unit`: pure code, tests beside it (shared/**\/*.test.ts), and the test doubles'
 * own tests (test/support/**\/*.test.ts), no I/O.
 * `integration`: real components (DynamoDB Local, a local Swift, the HTTP app), started once by
 * the global setup files below and shared by every test file through `inject()`.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "shared/**/*.test.ts",
            "functions/**/*.test.ts",
            "infra/**/*.test.ts",
            "test/support/**/*.test.ts",
          ],
          environment: "node",
          // Property tests run thousands of cases: room for a busy 2-core machine, no more.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/setup/dynamodb-local.ts", "test/setup/swift.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          // One DynamoDB Local and one Swift serve every file; files use their own tables/containers.
          fileParallelism: true,
        },
      },
    ],
  },
});
