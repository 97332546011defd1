import { onTestFailed, onTestFinished } from "vitest";
import { type BootOptions, type BootResult, describeBoot, startMachine } from "./qemu.ts";

/**
 * Boots a machine inside the current test: prints the console transcript if the test fails
 * (even when it times out mid-boot) and always stops QEMU when the test ends.
 */
export async function bootInTest(opts: BootOptions, title = opts.mode): Promise<BootResult> {
  const machine = startMachine(opts);
  let result: BootResult | undefined;
  onTestFailed(() => {
    console.error(describeBoot(result ?? machine, title));
  });
  onTestFinished(() => machine.stop());
  result = await machine.result;
  console.log(`e2e: ${title}: ${result.end} after ${result.durationMs} ms`);
  return result;
}
