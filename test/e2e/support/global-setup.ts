import type { TestProject } from "vitest/node";
import { buildTestIpxe } from "./own-ipxe.ts";
import { buildPayload, type Payload } from "./payload.ts";
import { type E2eSwift, type StartedSwift, startSwift } from "./swift.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2ePayload: Payload;
    e2eSwift: E2eSwift;
    /** swiftboot's own iPXE build (binaries + manifest.json), test/e2e/support/own-ipxe.ts. */
    e2eIpxeBuild: string;
  }
}

/**
 * The whole tier must finish within this; QEMU boots are slow under TCG on 2 cores. Building
 * swiftboot's own iPXE (minutes, once per input change: it is cached) is not counted.
 */
const RUN_BUDGET_MS = 20 * 60_000;

/**
 * Builds the boot payload and starts the local Swift (both at once), uploading the payload to it.
 * Teardown stops Swift; so does process exit (the budget below, Ctrl-C) through startSwift's
 * exit hook, and a failed setup stops whatever it started before it rejects.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runStarted = performance.now();
  const overBudget = () => {
    console.error(`e2e: the run exceeded its ${RUN_BUDGET_MS / 60_000} minute budget; aborting`);
    process.exit(1);
  };
  let budget = setTimeout(overBudget, RUN_BUDGET_MS);
  budget.unref();
  const ipxePromise = buildTestIpxe((line) => console.log(`e2e: iPXE: ${line}`)).then((dir) => {
    // The budget starts again once the build is done (a cache hit costs nothing).
    clearTimeout(budget);
    budget = setTimeout(overBudget, RUN_BUDGET_MS);
    budget.unref();
    return dir;
  });

  const payloadPromise = buildPayload().then((payload) => {
    console.log(
      `e2e: payload ready in ${Math.round(performance.now() - runStarted)} ms ` +
        `(${payload.kernelPackage}, ${payload.cacheDir})`,
    );
    return payload;
  });
  const swiftPromise = startSwift(
    payloadPromise.then((payload) => ({
      deployKernel: payload.kernel,
      deployRamdisk: payload.initrd,
      instanceKernel: payload.kernel,
      instanceRamdisk: payload.initrd,
    })),
  );
  let payload: Payload;
  let swift: StartedSwift;
  let ipxeBuild: string;
  try {
    // startSwift waits for the payload and, when anything fails, stops what it started.
    [payload, swift, ipxeBuild] = await Promise.all([payloadPromise, swiftPromise, ipxePromise]);
  } catch (error) {
    clearTimeout(budget);
    await swiftPromise.then((s) => s.stop()).catch(() => {});
    throw error;
  }
  console.log(
    `e2e: Swift ready at ${swift.swift.proxyUrl} (guests: ${swift.swift.guestUrl}) ` +
      `${Math.round(performance.now() - runStarted)} ms after the start (${swift.swift.dir})`,
  );
  project.provide("e2ePayload", payload);
  project.provide("e2eSwift", swift.swift);
  project.provide("e2eIpxeBuild", ipxeBuild);

  return async () => {
    clearTimeout(budget);
    await swift.stop();
    console.log(
      `e2e: Swift stopped; the run took ${Math.round(performance.now() - runStarted)} ms`,
    );
  };
}
