/**
 * `npm run bench`: every benchmark, each reported against a baseline measured in the same run
 * (ratios, never absolute timings asserted in tests). `npm run bench -- tempurl` runs one suite.
 * Arguments starting with `--` are options for the suites (e.g. `npm run bench -- load
 * --soak-seconds=10`, see bench/load.ts), not suite names.
 */
import { benchArtifacts } from "./artifacts.ts";
import { benchBootScript } from "./boot-script.ts";
import { benchBulkImport } from "./bulk-import.ts";
import { benchColdStart } from "./cold-start.ts";
import { benchLoad } from "./load.ts";
import type { BenchResult } from "./result.ts";
import { benchStoreRead } from "./store-read.ts";
import { benchTempurl } from "./tempurl.ts";

const suites: Record<string, () => Promise<BenchResult[]>> = {
  artifacts: benchArtifacts,
  "boot-script": benchBootScript,
  "bulk-import": benchBulkImport,
  "cold-start": benchColdStart,
  load: () => benchLoad(),
  "store-read": benchStoreRead,
  tempurl: benchTempurl,
};

function row(r: BenchResult): string {
  const ratio = r.ratio === undefined ? "" : `  ratio ${r.ratio.toFixed(2)} vs ${r.baseline}`;
  const target = r.target === undefined ? "" : `  (target ${r.target})`;
  return `  ${r.name}: ${r.value} ${r.unit}${ratio}${target}`;
}

/** Suite names; `--flag=value` and `--flag value` are left to the suites. */
const args = process.argv.slice(2);
const wanted = args.filter(
  (arg, i) =>
    !arg.startsWith("--") &&
    !(args[i - 1]?.startsWith("--") && !args[i - 1]?.includes("=") && !(arg in suites)),
);
const unknown = wanted.filter((name) => !(name in suites));
if (unknown.length > 0) {
  console.error(
    `unknown bench suite(s): ${unknown.join(", ")}; known: ${Object.keys(suites).join(", ")}`,
  );
  process.exit(2);
}
console.log(`swiftboot bench, node ${process.version}, ${new Date().toISOString()}`);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n${name}`);
  for (const r of await run()) console.log(row(r));
}
