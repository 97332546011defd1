import { readFile } from "node:fs/promises";
import { Document, isMap, isSeq, parseDocument, visit } from "yaml";
import { normalizeMac } from "../../../shared/model/index.ts";
import { CliFailure, type CliIo } from "../io.ts";
import { type ApiOptions, apiClient, recordsIn } from "./api-client.ts";
import { importViaApi } from "./api-import.ts";
import { printReport, progressLine } from "./bulk-report.ts";
import { readError } from "./import.ts";

/**
 * A YAML or JSON file (YAML parses both), or standard input for `-`, with the `# version N`
 * comments that `get` prints above a record (see recordVersions).
 */
export async function readDocument(io: CliIo, file: string): Promise<Document> {
  let text: string;
  try {
    text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${readError(error)}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new CliFailure(`${file}: not valid YAML or JSON: ${doc.errors[0]?.message}`);
  }
  return doc;
}

const VERSION_COMMENT = /^\s*version\s+(\d+)\s*$/m;

function versionIn(...comments: (string | null | undefined)[]): number | undefined {
  for (const comment of comments) {
    const match = comment == null ? null : VERSION_COMMENT.exec(comment);
    if (match !== null) return Number(match[1]);
  }
  return undefined;
}

/** The `# version N` above each record (as `get` prints it), aligned with recordsIn's list. */
function recordVersions(doc: Document, kind: Kind): (number | undefined)[] {
  const firstKeyComment = (node: unknown) =>
    isMap(node)
      ? (node.items[0]?.key as { commentBefore?: string } | undefined)?.commentBefore
      : undefined;
  const ofItems = (seq: unknown) =>
    isSeq(seq)
      ? seq.items.map((item) =>
          versionIn((item as { commentBefore?: string }).commentBefore, firstKeyComment(item)),
        )
      : [];
  const contents = doc.contents;
  if (isSeq(contents)) return ofItems(contents);
  if (isMap(contents) && contents.has(kind)) return ofItems(contents.get(kind, true));
  return [versionIn(doc.commentBefore, contents?.commentBefore, firstKeyComment(contents))];
}

type Kind = "images" | "nodes";
const resourcePath = (kind: Kind, id: string) => `/v1/${kind}/${encodeURIComponent(id)}`;

export interface PutOptions extends ApiOptions {
  dryRun?: boolean;
  partial?: boolean;
}

/**
 * `put FILE`: the records of the file through the API, checked as a whole first (nothing is
 * written when one is invalid, unless --partial), then written in parallel; each is reported
 * (created, updated, unchanged, failed) and a failed write does not stop the others. A record
 * under a `# version N` comment (or with a `version` field) is written only over that version.
 */
export async function putResources(
  io: CliIo,
  options: PutOptions,
  file: string,
  kind: Kind,
): Promise<void> {
  const api = apiClient(io, options);
  const doc = await readDocument(io, file);
  const versions = recordVersions(doc, kind);
  const records = recordsIn(doc.toJS(), kind).map((record, i) => {
    const version = versions[i];
    const plain = typeof record === "object" && record !== null && !Array.isArray(record);
    return version !== undefined && plain && !("version" in record)
      ? { ...(record as Record<string, unknown>), version }
      : record;
  });
  const started = performance.now();
  const progress = progressLine(io);
  try {
    const report = await importViaApi(
      api,
      { [kind]: records },
      {
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.partial ? { partial: true } : {}),
        onProgress: progress.onProgress,
      },
    );
    progress.done();
    printReport(io, report, {
      ...(options.json ? { json: true } : {}),
      seconds: (performance.now() - started) / 1000,
    });
  } catch (error) {
    progress.done();
    throw error;
  }
}

/**
 * `get ID`: the record as YAML headed by its version, or as JSON with `--json`. The YAML is
 * written for YAML 1.1 readers too: strings such as MACs (`52:54:00:12:34:56`, a base-60 number
 * to YAML 1.1) are quoted.
 */
export async function printResource(
  io: CliIo,
  options: ApiOptions,
  kind: Kind,
  id: string,
): Promise<void> {
  const { body, version } = await apiClient(io, options).request("GET", resourcePath(kind, id));
  if (options.json) io.out(JSON.stringify(body, null, 2));
  else io.out(`# version ${version}\n${yamlFor11Readers(body).trimEnd()}`);
}

/** YAML that YAML 1.1 readers read back as the same strings: MACs always quoted. */
export function yamlFor11Readers(value: unknown): string {
  const doc = new Document(value, { version: "1.1" });
  visit(doc, {
    Scalar: (_key, node) => {
      if (typeof node.value === "string" && normalizeMac(node.value) === node.value) {
        node.type = "QUOTE_DOUBLE";
      }
    },
  });
  return doc.toString();
}
