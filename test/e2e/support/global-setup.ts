import type { TestProject } from "vitest/node";
import { buildPayload, type Payload } from "./payload.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2ePayload: Payload;
  }
}

/** The whole tier must finish within this; QEMU boots are slow under TCG on 2 cores. */
const RUN_BUDGET_MS = 10 * 60_000;

export default async function setup(project: TestProject): Promise<() => void> {
  const budget = setTimeout(() => {
    console.error(`e2e: the run exceeded its ${RUN_BUDGET_MS / 60_000} minute budget; aborting`);
    process.exit(1);
  }, RUN_BUDGET_MS);
  budget.unref();
  const started = performance.now();
  const payload = await buildPayload();
  console.log(
    `e2e: payload ready in ${Math.round(performance.now() - started)} ms ` +
      `(${payload.kernelPackage}, ${payload.cacheDir})`,
  );
  project.provide("e2ePayload", payload);
  return () => clearTimeout(budget);
}
