import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type ImportDocument,
  ImportDocumentError,
  importRecords,
  parseImportDocument,
} from "../../../shared/import/index.ts";
import { openLocalStore } from "../../local/store.ts";
import { CliFailure, type CliIo, loadCliConfig } from "../io.ts";
import { apiClient } from "./api-client.ts";
import { importViaApi } from "./api-import.ts";

/**
 * `swiftboot import FILE`: images and nodes from YAML or JSON into the store the `SWIFTBOOT_*`
 * variables name, or with `--url` through that admin API (token: SWIFTBOOT_API_TOKEN).
 * Idempotent; each node is one transaction, so a failed node changes nothing.
 */
export function registerImport(program: Command, io: CliIo): Command {
  return program
    .command("import")
    .description("Load images and nodes from a YAML or JSON file into the store (idempotent).")
    .argument("<file>", "YAML (.yaml/.yml) or JSON (.json) file; - reads standard input")
    .option("--json", "print the report as JSON")
    .option("--url <url>", "import through the admin API at this URL instead of into the store")
    .action(async (file: string, options: { json?: boolean; url?: string }) => {
      const text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
      const format = /\.json$/i.test(file) ? "json" : "yaml";
      let doc: ReturnType<typeof parseImportDocument>;
      try {
        doc = parseImportDocument(text, format);
      } catch (error) {
        if (error instanceof ImportDocumentError) throw new CliFailure(`${file}: ${error.message}`);
        throw error;
      }
      const report = await importInto(io, doc, options.url);
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
    });
}

async function importInto(io: CliIo, doc: ImportDocument, url: string | undefined) {
  if (url !== undefined) return importViaApi(apiClient(io, { url }), doc);
  const local = await openLocalStore(loadCliConfig(io));
  try {
    return await importRecords(local.store, doc);
  } finally {
    await local.close();
  }
}
