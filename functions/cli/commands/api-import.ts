import type {
  ImportDocument,
  ImportOutcome,
  ImportRecordResult,
  ImportReport,
} from "../../../shared/import/index.ts";
import { sameRecord } from "../../../shared/import/same-record.ts";
import type { Node } from "../../../shared/model/index.ts";
import { describeProblems, imageSchema, nodeSchema } from "../../../shared/model/index.ts";
import { asWrittenBy } from "../../../shared/store/provision-fields.ts";
import * as z from "../../../shared/validation/zod.ts";
import { type ApiClient, ApiFailure } from "./api-client.ts";

/**
 * `swiftboot import --url`: the import file through the admin API instead of the store, with the
 * same report. Records are validated locally first (as the store import does), read back to
 * report "unchanged" without writing, then PUT; the API's refusals fail their record alone. Like
 * the store import, a node whose MAC another node in the file gives up later is retried.
 * Unlike it, an existing node's state cannot change here (the API refuses: use set-state).
 */
export async function importViaApi(api: ApiClient, doc: ImportDocument): Promise<ImportReport> {
  const records: ImportRecordResult[] = [];
  for (const [index, raw] of (doc.images ?? []).entries()) {
    records.push(await importOne(api, "image", `images[${index}]`, raw, imageSchema, "/v1/images"));
  }
  let pending = (doc.nodes ?? []).map((raw, index) => ({ raw, label: `nodes[${index}]` }));
  const nodeResults = new Map<string, ImportRecordResult>();
  // Retry identity conflicts while a pass makes progress: another node in the file may free a MAC.
  for (;;) {
    const conflicted: typeof pending = [];
    for (const item of pending) {
      const result = await importOne(api, "node", item.label, item.raw, nodeSchema, "/v1/nodes");
      nodeResults.set(item.label, result);
      if (result.error?.includes("already belongs to node")) conflicted.push(item);
    }
    if (conflicted.length === 0 || conflicted.length === pending.length) break;
    pending = conflicted;
  }
  records.push(...nodeResults.values());
  const counts: Record<ImportOutcome, number> = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const r of records) counts[r.outcome]++;
  return { records, counts };
}

async function importOne(
  api: ApiClient,
  kind: "image" | "node",
  where: string,
  raw: unknown,
  schema: z.core.$ZodType,
  base: string,
): Promise<ImportRecordResult> {
  const fields = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const name = [fields.name, fields.id].find((v) => typeof v === "string" && v !== "");
  const record = name === undefined ? where : `${where} (${String(name)})`;
  const parsed = z.safeParse(schema, raw);
  if (!parsed.success) {
    return {
      kind,
      record,
      outcome: "failed",
      error: `${record}: ${describeProblems(parsed.error)}`,
    };
  }
  const value = parsed.data as { id: string };
  const path = `${base}/${encodeURIComponent(value.id)}`;
  try {
    const current = await api.request("GET", path).catch((error: unknown) => {
      if (error instanceof ApiFailure && error.status === 404) return undefined;
      throw error;
    });
    if (current !== undefined && sameRecord(storeKeptAside(kind, current.body, value), value)) {
      return { kind, record, id: value.id, outcome: "unchanged" };
    }
    const { status } = await api.request("PUT", path, { body: value });
    return { kind, record, id: value.id, outcome: status === 201 ? "created" : "updated" };
  } catch (error) {
    if (
      !(error instanceof ApiFailure) ||
      error.status >= 500 ||
      error.status === 401 ||
      error.status === 403
    ) {
      throw error; // the API is down or refuses us altogether: stop, like an unreachable store
    }
    const detail = typeof error.problem.detail === "string" ? error.problem.detail : error.message;
    return { kind, record, id: value.id, outcome: "failed", error: `${record}: ${detail}` };
  }
}

/** A stored node without the fields the store keeps on its own (state_id, reports), for comparing. */
function storeKeptAside(kind: string, stored: unknown, next: unknown): unknown {
  if (kind !== "node" || typeof stored !== "object" || stored === null) return stored;
  return asWrittenBy(stored as Node, next as Node);
}
