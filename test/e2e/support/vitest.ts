import { onTestFailed, onTestFinished } from "vitest";
import { type BootOptions, type BootResult, describeBoot, startMachine } from "./qemu.ts";
import type { LogLine, Swiftboot } from "./swiftboot.ts";

/**
 * Boots a machine inside the current test: prints the console transcript if the test fails
 * (even when it times out mid-boot) and always stops QEMU when the test ends.
 */
export async function bootInTest(
  opts: BootOptions,
  title: string = opts.mode,
): Promise<BootResult> {
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

export type SwiftbootBootOptions = Omit<BootOptions, "chainUrl" | "timeoutMs"> & {
  /** Default: swiftboot's `/boot.ipxe` as the guest reaches it. */
  chainUrl?: string;
  /** Default 60 s, the limit for one boot. */
  timeoutMs?: number;
  /** More to print when the test fails: a title and the lines (read at failure time). */
  report?: Record<string, () => string[] | Promise<string[]>>;
};

export interface SwiftbootBoot extends BootResult {
  /** swiftboot's log lines written while this machine booted. */
  logs: LogLine[];
}

/**
 * Boots a machine that chains swiftboot's `/boot.ipxe`. On failure this prints, besides the
 * console transcript, the log lines swiftboot wrote while the machine booted (one machine boots
 * at a time, so they are this machine's) and anything in `report`.
 */
export async function bootWithSwiftboot(
  sb: Swiftboot,
  { report = {}, ...opts }: SwiftbootBootOptions,
): Promise<SwiftbootBoot> {
  const firstLog = sb.logs.length;
  onTestFailed(async () => {
    const sections = [
      `----- swiftboot log while ${opts.mac} booted -----`,
      ...sb.logs.slice(firstLog).map((l) => JSON.stringify(l)),
    ];
    for (const [title, lines] of Object.entries(report)) {
      sections.push(`----- ${title} -----`);
      try {
        sections.push(...(await lines()));
      } catch (error) {
        sections.push(`(could not read: ${String(error)})`);
      }
    }
    console.error(sections.join("\n"));
  });
  const result = await bootInTest(
    {
      timeoutMs: 60_000,
      chainUrl: sb.guestUrl("/boot.ipxe"),
      ...opts,
    },
    `${opts.mode} ${opts.mac}`,
  );
  return { ...result, logs: sb.logs.slice(firstLog) };
}
