import { pathToFileURL } from "node:url";
import { buildNodeScript, type NodeScriptInput, parseBootIdentity } from "../shared/boot/index.ts";
import { type Config, parseConfig } from "../shared/config/index.ts";
import { type Image, imageSchema, nodeSchema } from "../shared/model/index.ts";
import type { BenchResult } from "./result.ts";

/**
 * Cost of the boot path's pure part: planning, minting two signed URLs and rendering one deploy
 * script (`buildNodeScript`), in both URL modes. The target (25 us) keeps script generation a
 * small share of a request that also does two store reads.
 *
 * Run alone: `tsx bench/boot-script.ts`.
 */
const TARGET_US = 25;
const WARMUP = 20_000;
const SAMPLES = 31;
const CALLS_PER_SAMPLE = 2_000;

function inputFor(config: Config): NodeScriptInput {
  const images: Image[] = [
    imageSchema.parse({
      id: "ipa-kernel",
      name: "IPA kernel",
      swift: { object: "ipa/deploy.kernel" },
      size: 11_000_000,
    }),
    imageSchema.parse({
      id: "ipa-ramdisk",
      name: "IPA ramdisk",
      swift: { object: "ipa/deploy.initramfs" },
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }),
  ];
  return {
    node: nodeSchema.parse({
      id: "node-1",
      name: "rack 1 slot 1",
      macs: ["52:54:00:12:34:56"],
      state: "deploying",
      deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
      kernel_args: "console=ttyS0,115200n8 ipa-insecure=1 systemd.journald.forward_to_console=yes",
    }),
    images: new Map(images.map((i) => [i.id, i])),
    request: parseBootIdentity(
      "52-54-00-12-34-56.ipxe",
      new URLSearchParams({
        uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
        arch: "x86_64",
        platform: "efi",
      }),
    ),
    config,
    now: Math.floor(Date.now() / 1000),
    baseUrl: "http://boot.example:8080",
  };
}

/** Median of per-call averages over several samples, in microseconds. */
function medianMicros(run: () => void): number {
  for (let i = 0; i < WARMUP; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_SAMPLE; i++) run();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / CALLS_PER_SAMPLE);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

export async function benchBootScript(): Promise<BenchResult[]> {
  const modes: [string, Config][] = [
    [
      "swift",
      parseConfig({
        file: {
          ipxe: { use_swift: true },
          swift: {
            endpoint_url: "http://swift.example:8080",
            account: "AUTH_test",
            container: "images",
            temp_url_key: "bench-temp-url-key-0123456789",
          },
        },
      }),
    ],
    [
      "cache",
      parseConfig({ file: { artifacts: { signing_key: "bench-artifact-signing-key-0123" } } }),
    ],
  ];
  const results: BenchResult[] = [];
  for (const [mode, config] of modes) {
    const input = inputFor(config);
    const check = buildNodeScript(input);
    if (check.plan.kind !== "boot")
      throw new Error(`bench input does not boot: ${JSON.stringify(check.logFields)}`);
    let sink = 0;
    const value = medianMicros(() => {
      sink += buildNodeScript(input).script.length;
    });
    if (sink === 0) throw new Error("unreachable");
    results.push({
      name: `buildNodeScript, deploy, ${mode} mode (2 signed URLs)`,
      value: Math.round(value * 100) / 100,
      unit: "us/op",
      target: `<= ${TARGET_US} us`,
    });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchBootScript())
    console.log(`${r.name}: ${r.value} ${r.unit} (target ${r.target})`);
}
