import { fieldProblems, type Image, imageSchema, type Node, nodeSchema } from "../model/index.ts";
import {
  CorruptRecordError,
  IdentityConflictError,
  StoreError,
  StoreUnavailableError,
} from "../store/errors.ts";
import { asWrittenBy } from "../store/provision-fields.ts";
import type { AdminStore } from "../store/types.ts";
import type * as z from "../validation/zod.ts";
import type { ImportDocument } from "./document.ts";
import { imageRefsOf } from "./image-refs.ts";
import { sameRecord } from "./same-record.ts";

export type ImportOutcome = "created" | "updated" | "unchanged" | "failed";

export interface ImportRecordResult {
  kind: "image" | "node";
  /** Where the record is in the file: `nodes[2] (rack1-node7)`. */
  record: string;
  id?: string;
  outcome: ImportOutcome;
  /** For failures, naming record and field: `nodes[2] (rack1-node7): macs.0: must be ...`. */
  error?: string;
}

export interface ImportReport {
  /** Images, then nodes, each in file order. */
  records: ImportRecordResult[];
  counts: Record<ImportOutcome, number>;
}

/**
 * Imports images first, then nodes. Each record succeeds or fails alone; a node is written by
 * one putNode (one transaction: node and identity claims), so a failed node changes nothing.
 * Re-importing the same file reports everything unchanged and writes nothing.
 * A node referring to an image that is neither in the file (validly) nor in the store fails.
 * StoreUnavailableError aborts the import (re-running it is safe); other store errors fail only
 * the record concerned.
 */
export async function importRecords(store: AdminStore, doc: ImportDocument): Promise<ImportReport> {
  const records: ImportRecordResult[] = [];
  const imagesInFile = await importImages(store, doc.images ?? [], records);
  await importNodes(store, doc.nodes ?? [], imagesInFile, records);
  const counts = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const r of records) counts[r.outcome]++;
  return { records, counts };
}

/** `nodes[2] (rack1-node7)`: nodes by name (what people recognise), images by id. */
function recordLabel(list: "images" | "nodes", index: number, raw: unknown): string {
  const fields = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const preferred = list === "nodes" ? [fields.name, fields.id] : [fields.id, fields.name];
  const name = preferred.find((v) => typeof v === "string" && v.length > 0);
  return name === undefined ? `${list}[${index}]` : `${list}[${index}] (${name})`;
}

function describe(error: z.core.$ZodError): string {
  return fieldProblems(error)
    .map(({ path, message }) =>
      // An unquoted 525400123456 or an all-digit id is a number in YAML: say how to fix it.
      /expected string, received number/.test(message)
        ? `${path}: ${message} (quote it in YAML)`
        : `${path}: ${message}`,
    )
    .join("; ");
}

/** A stored record that fails validation: the import overwrites it (an "updated" record). */
const CORRUPT = Symbol("corrupt");

async function previousOf<T>(
  read: () => Promise<T | undefined>,
): Promise<T | undefined | typeof CORRUPT> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CorruptRecordError) return CORRUPT;
    throw error;
  }
}

async function upsert<T>(
  read: () => Promise<T | undefined>,
  next: T,
  write: () => Promise<void>,
): Promise<ImportOutcome> {
  const previous = await previousOf(read);
  if (previous !== undefined && previous !== CORRUPT && sameRecord(previous, next)) {
    return "unchanged";
  }
  await write();
  return previous === undefined ? "created" : "updated";
}

/** Store errors fail one record; an unreachable store stops the import. */
function storeFailure(record: string, error: unknown): string {
  if (error instanceof StoreUnavailableError || !(error instanceof StoreError)) throw error;
  return `${record}: ${error.message}`;
}

async function importImages(
  store: AdminStore,
  raws: readonly unknown[],
  records: ImportRecordResult[],
): Promise<Set<string>> {
  const imported = new Map<string, string>(); // id → record label, for duplicates
  for (const [index, raw] of raws.entries()) {
    const record = recordLabel("images", index, raw);
    const parsed = imageSchema.safeParse(raw);
    if (!parsed.success) {
      records.push({
        kind: "image",
        record,
        outcome: "failed",
        error: `${record}: ${describe(parsed.error)}`,
      });
      continue;
    }
    const image: Image = parsed.data;
    const base = { kind: "image" as const, record, id: image.id };
    const first = imported.get(image.id);
    if (first !== undefined) {
      records.push({ ...base, outcome: "failed", error: `${record}: id: duplicate of ${first}` });
      continue;
    }
    try {
      const outcome = await upsert(
        () => store.getImage(image.id),
        image,
        () => store.putImage(image),
      );
      imported.set(image.id, record);
      records.push({ ...base, outcome });
    } catch (error) {
      records.push({ ...base, outcome: "failed", error: storeFailure(record, error) });
    }
  }
  return new Set(imported.keys());
}

interface PendingNode {
  record: string;
  node: Node;
  result: ImportRecordResult;
}

async function importNodes(
  store: AdminStore,
  raws: readonly unknown[],
  imagesInFile: Set<string>,
  records: ImportRecordResult[],
): Promise<void> {
  // Pass 1: validate, reject duplicates, collect image references.
  const pending: PendingNode[] = [];
  const seen = new Map<string, string>();
  for (const [index, raw] of raws.entries()) {
    const record = recordLabel("nodes", index, raw);
    const parsed = nodeSchema.safeParse(raw);
    if (!parsed.success) {
      records.push({
        kind: "node",
        record,
        outcome: "failed",
        error: `${record}: ${describe(parsed.error)}`,
      });
      continue;
    }
    const node = parsed.data;
    const result: ImportRecordResult = { kind: "node", record, id: node.id, outcome: "failed" };
    records.push(result);
    const first = seen.get(node.id);
    if (first !== undefined) {
      result.error = `${record}: id: duplicate of ${first}`;
      continue;
    }
    seen.set(node.id, record);
    pending.push({ record, node, result });
  }

  // One batched read for every referenced image the file does not define.
  const elsewhere = new Set(
    pending
      .flatMap((p) => imageRefsOf(p.node).map((r) => r.id))
      .filter((id) => !imagesInFile.has(id)),
  );
  const inStore = elsewhere.size > 0 ? await store.getImages([...elsewhere]) : new Map();

  const writable = pending.filter(({ record, node, result }) => {
    const unknown = imageRefsOf(node).filter((r) => !imagesInFile.has(r.id) && !inStore.has(r.id));
    if (unknown.length === 0) return true;
    result.error = `${record}: ${unknown
      .map(
        (r) => `${r.path}: unknown image ${JSON.stringify(r.id)} (not in this file or the store)`,
      )
      .join("; ")}`;
    return false;
  });

  // Pass 2: write. A node whose MAC/UUID another node in the file is giving up can only succeed
  // after that node is written, so conflicted nodes get another pass while passes make progress.
  let queue = writable;
  while (queue.length > 0) {
    const conflicted: PendingNode[] = [];
    for (const item of queue) {
      if (await writeNode(store, item)) continue;
      if (item.result.error?.includes("already belongs to node")) conflicted.push(item);
    }
    if (conflicted.length === queue.length) break; // no progress
    queue = conflicted;
  }
}

/** Writes one node; returns false (with the error recorded) when it failed. */
async function writeNode(
  store: AdminStore,
  { record, node, result }: PendingNode,
): Promise<boolean> {
  try {
    result.outcome = await upsert(
      async () => {
        const stored = await store.getNode(node.id);
        return stored === undefined ? undefined : asWrittenBy(stored, node);
      },
      node,
      () => store.putNode(node),
    );
    result.error = undefined;
    return true;
  } catch (error) {
    if (error instanceof IdentityConflictError) {
      const field = error.kind === "uuid" ? "uuid" : `macs.${node.macs.indexOf(error.value)}`;
      result.error = `${record}: ${field}: ${error.message}`;
    } else {
      result.error = storeFailure(record, error);
    }
    result.outcome = "failed";
    return false;
  }
}
