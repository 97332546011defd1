import type { ImportReport } from "../../../shared/import/index.ts";
import type { CliIo } from "../io.ts";

/** How often the progress line is redrawn. */
const REDRAW_MS = 200;

/**
 * Progress of a bulk write on standard error, `n/N records, rate/s`, redrawn in place, only when
 * standard error is a terminal (never in logs or pipes). `done()` ends the line.
 */
export function progressLine(io: CliIo): {
  onProgress: (done: number, total: number) => void;
  done: () => void;
} {
  const started = performance.now();
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    io.errPartial?.(`\r${done}/${total} records, ${rate}/s `);
    drawn = true;
  };
  return {
    onProgress: (done, total) => {
      if (io.errIsTty !== true || io.errPartial === undefined) return;
      const now = performance.now();
      if (now - last < REDRAW_MS && done < total) return;
      last = now;
      draw(done, total);
    },
    done: () => {
      if (drawn) io.errPartial?.("\n");
    },
  };
}

/**
 * One line per record (`created   nodes[0] (rack1-node7)`, failures with one indented line per
 * field; records left unwritten by a blocked run only in the count), then the summary with the time taken; or the report as JSON. Exit code 1 when any
 * record failed.
 */
export function printReport(
  io: CliIo,
  report: ImportReport,
  { json, seconds }: { json?: boolean; seconds: number },
): void {
  if (report.counts.failed > 0) io.setExitCode(1);
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return;
  }
  for (const r of report.records) {
    // Valid records of a blocked run: the summary counts them; thousands of lines would bury the
    // problems.
    if (r.outcome === "skipped") continue;
    const version = r.version === undefined ? "" : ` (version ${r.version})`;
    io.out(`${r.outcome.padEnd(9)} ${r.record}${version}`);
    for (const p of r.problems ?? []) io.out(`            ${p.path}: ${p.message}`);
  }
  const c = report.counts;
  const written = c.created + c.updated;
  // A rate over a fraction of a second says nothing.
  const rate = seconds >= 1 && written > 0 ? `, ${Math.round(written / seconds)} writes/s` : "";
  const summary = `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.failed} failed`;
  if (report.dryRun) {
    io.out(`dry run, nothing written: would be ${summary}`);
  } else if (report.blocked) {
    io.out(
      `nothing written: ${c.failed} record(s) have problems (listed above); fix them, or pass --partial to write the ${c.skipped} valid one(s)`,
    );
  } else {
    io.out(`${summary} in ${seconds.toFixed(1)} s${rate}`);
  }
}
