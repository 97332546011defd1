import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  ImportDocumentError,
  importRecords,
  parseImportDocument,
} from "../../../shared/import/index.ts";
import { openLocalStore } from "../../local/store.ts";
import { CliFailure, type CliIo, loadCliConfig } from "../io.ts";

/**
 * `swiftboot import FILE`: images and nodes from YAML or JSON into the store the `SWIFTBOOT_*`
 * variables name. Idempotent; each node is one transaction, so a failed node changes nothing.
 */
export function registerImport(program: Command, io: CliIo): Command {
  return program
    .command("import")
    .description("Load images and nodes from a YAML or JSON file into the store (idempotent).")
    .argument("<file>", "YAML (.yaml/.yml) or JSON (.json) file; - reads standard input")
    .option("--json", "print the report as JSON")
    .action(async (file: string, options: { json?: boolean }) => {
      const config = loadCliConfig(io);
      const text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
      const format = /\.json$/i.test(file) ? "json" : "yaml";
      let doc: ReturnType<typeof parseImportDocument>;
      try {
        doc = parseImportDocument(text, format);
      } catch (error) {
        if (error instanceof ImportDocumentError) throw new CliFailure(`${file}: ${error.message}`);
        throw error;
      }
      const local = await openLocalStore(config);
      try {
        const report = await importRecords(local.store, doc);
        if (options.json) {
          io.out(JSON.stringify(report, null, 2));
        } else {
          for (const r of report.records) {
            io.out(`${r.outcome.padEnd(9)} ${r.error ?? r.record}`);
          }
          const c = report.counts;
          io.out(
            `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.failed} failed`,
          );
        }
        if (report.counts.failed > 0) io.setExitCode(1);
      } finally {
        await local.close();
      }
    });
}
