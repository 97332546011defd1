import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  type ImportDocument,
  ImportDocumentError,
  type ImportReport,
  importRecords,
  parseImportDocument,
} from "../../../shared/import/index.ts";
import { openLocalStore } from "../../local/store.ts";
import { CliFailure, type CliIo, loadCliConfig } from "../io.ts";
import { apiClient } from "./api-client.ts";
import { importViaApi } from "./api-import.ts";
import { printReport, progressLine } from "./bulk-report.ts";

/**
 * `swiftboot import FILE`: images and nodes from YAML or JSON into the store the `SWIFTBOOT_*`
 * variables name, or with `--url` through that admin API (token: SWIFTBOOT_API_TOKEN).
 * The whole file is checked first; nothing is written when any record has a problem (unless
 * `--partial`). Idempotent: unchanged records are not written again.
 */
export function registerImport(program: Command, io: CliIo): Command {
  return program
    .command("import")
    .description(
      "Load images and nodes from a YAML or JSON file into the store. The whole file is checked first: nothing is written if any record is invalid.",
    )
    .argument("<file>", "YAML (.yaml/.yml) or JSON (.json) file; - reads standard input")
    .option("--json", "print the report as JSON")
    .option("--url <url>", "import through the admin API at this URL instead of into the store")
    .option("--dry-run", "check the file and list what would be created, updated or unchanged")
    .option("--partial", "write the valid records even when others are invalid")
    .action(async (file: string, options: ImportCliOptions) => {
      let text: string;
      try {
        text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
      } catch (error) {
        throw new CliFailure(`cannot read ${file}: ${readError(error)}`);
      }
      const format = /\.json$/i.test(file) ? "json" : "yaml";
      let doc: ReturnType<typeof parseImportDocument>;
      try {
        doc = parseImportDocument(text, format);
      } catch (error) {
        if (error instanceof ImportDocumentError) throw new CliFailure(`${file}: ${error.message}`);
        throw error;
      }
      const started = performance.now();
      const progress = progressLine(io);
      let report: ImportReport;
      try {
        report = await importInto(io, doc, options, progress.onProgress);
      } finally {
        progress.done();
      }
      printReport(io, report, {
        ...(options.json ? { json: true } : {}),
        seconds: (performance.now() - started) / 1000,
      });
    });
}

/** store.timeout_ms's largest value. */
const BULK_TIMEOUT_MS = 30_000;

interface ImportCliOptions {
  json?: boolean;
  url?: string;
  dryRun?: boolean;
  partial?: boolean;
}

/** `ENOENT` as words a person reads. */
export function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "it is a directory";
  return code ?? String(error);
}

async function importInto(
  io: CliIo,
  doc: ImportDocument,
  options: ImportCliOptions,
  onProgress: (done: number, total: number) => void,
): Promise<ImportReport> {
  const importOptions = {
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.partial ? { partial: true } : {}),
    onProgress,
  };
  if (options.url !== undefined) {
    return importViaApi(apiClient(io, { url: options.url }), doc, importOptions);
  }
  const config = loadCliConfig(io);
  // A bulk run waits longer per call than a booting machine would (store.timeout_ms guards the
  // boot path): a transaction of several nodes on a busy DynamoDB Local can take seconds.
  const local = await openLocalStore({
    ...config,
    store: { ...config.store, timeout_ms: Math.max(config.store.timeout_ms, BULK_TIMEOUT_MS) },
  });
  try {
    return await importRecords(local.store, doc, importOptions);
  } finally {
    await local.close();
  }
}
