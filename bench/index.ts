/**
 * `npm run bench`: every benchmark, each reported against a baseline measured in the same run
 * (ratios, never absolute timings asserted in tests). `npm run bench -- tempurl` runs one suite.
 */
import { benchArtifacts } from "./artifacts.ts";
import { benchBootScript } from "./boot-script.ts";
import { benchColdStart } from "./cold-start.ts";
import type { BenchResult } from "./result.ts";
import { benchTempurl } from "./tempurl.ts";

const suites: Record<string, () => Promise<BenchResult[]>> = {
  artifacts: benchArtifacts,
  "boot-script": benchBootScript,
  "cold-start": benchColdStart,
  tempurl: benchTempurl,
};

function row(r: BenchResult): string {
  const ratio = r.ratio === undefined ? "" : `  ratio ${r.ratio.toFixed(2)} vs ${r.baseline}`;
  const target = r.target === undefined ? "" : `  (target ${r.target})`;
  return `  ${r.name}: ${r.value} ${r.unit}${ratio}${target}`;
}

const wanted = process.argv.slice(2);
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
