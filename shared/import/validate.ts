import {
  type FieldProblem,
  fieldProblems,
  type Image,
  imageSchema,
  type Node,
  nodeSchema,
} from "../model/index.ts";
import * as z from "../validation/zod.ts";
import type { ImportDocument } from "./document.ts";

/**
 * Whole-file validation, before anything is written: every record against the model's schema,
 * then what no single record can show (an id, MAC or UUID given twice in the file). Every
 * problem is kept, by record and field path, so one run lists all there is to fix.
 */

export interface CheckedRecord<T> {
  kind: "image" | "node";
  /** Where the record is in the file: `nodes[2] (rack1-node7)`. */
  label: string;
  /** The valid record; undefined when the schema refused it. */
  value?: T;
  /** A `version` the file carries (from `swiftboot ... get`): written only over that version. */
  expectedVersion?: number;
  problems: FieldProblem[];
}

export interface CheckedDocument {
  images: CheckedRecord<Image>[];
  nodes: CheckedRecord<Node>[];
}

/** `nodes[2] (rack1-node7)`: nodes by name (what people recognise), images by id. */
export function recordLabel(list: "images" | "nodes", index: number, raw: unknown): string {
  const fields = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const preferred = list === "nodes" ? [fields.name, fields.id] : [fields.id, fields.name];
  const name = preferred.find((v) => typeof v === "string" && v.length > 0);
  return name === undefined ? `${list}[${index}]` : `${list}[${index}] (${name})`;
}

function problemsOf(error: z.core.$ZodError): FieldProblem[] {
  return fieldProblems(error).map(({ path, message }) => ({
    path,
    // An unquoted 525400123456 or an all-digit id is a number in YAML: say how to fix it.
    message: /expected string, received number/.test(message)
      ? `${message} (quote it in YAML)`
      : message,
  }));
}

function checkOne<T>(
  kind: "image" | "node",
  label: string,
  raw: unknown,
  schema: z.core.$ZodType<T>,
): CheckedRecord<T> {
  const problems: FieldProblem[] = [];
  let fields = raw;
  let expectedVersion: number | undefined;
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && "version" in raw) {
    const { version, ...rest } = raw as Record<string, unknown>;
    fields = rest;
    if (typeof version === "number" && Number.isSafeInteger(version) && version >= 1) {
      expectedVersion = version;
    } else {
      problems.push({
        path: "version",
        message: "must be the whole number `get` printed (the version this edit is based on)",
      });
    }
  }
  const parsed = z.safeParse(schema, fields);
  if (!parsed.success) problems.push(...problemsOf(parsed.error));
  return {
    kind,
    label,
    ...(parsed.success ? { value: parsed.data } : {}),
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    problems,
  };
}

/** The first record holding each key; later ones get a problem naming it. */
function flagRepeats<T>(
  records: CheckedRecord<T>[],
  keysOf: (value: T) => { path: string; key: string; what: string }[],
): void {
  const first = new Map<string, string>();
  for (const r of records) {
    if (r.value === undefined) continue;
    for (const { path, key, what } of keysOf(r.value)) {
      const holder = first.get(key);
      if (holder === undefined) first.set(key, r.label);
      else if (holder !== r.label) r.problems.push({ path, message: `${what} ${holder}` });
    }
  }
}

export function checkDocument(doc: ImportDocument): CheckedDocument {
  const images = (doc.images ?? []).map((raw, i) =>
    checkOne("image", recordLabel("images", i, raw), raw, imageSchema),
  );
  const nodes = (doc.nodes ?? []).map((raw, i) =>
    checkOne("node", recordLabel("nodes", i, raw), raw, nodeSchema),
  );
  flagRepeats(images, (image) => [{ path: "id", key: image.id, what: "duplicate of" }]);
  flagRepeats(nodes, (node) => [
    { path: "id", key: `id:${node.id}`, what: "duplicate of" },
    ...node.macs.map((mac, i) => ({
      path: `macs.${i}`,
      key: `mac:${mac}`,
      what: `MAC ${mac} is also in`,
    })),
    ...(node.uuid === undefined
      ? []
      : [{ path: "uuid", key: `uuid:${node.uuid}`, what: `UUID ${node.uuid} is also in` }]),
  ]);
  return { images, nodes };
}
