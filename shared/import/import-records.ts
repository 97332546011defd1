import type { FieldProblem, Image, Node } from "../model/index.ts";
import type { BulkNodeStore } from "../store/node-bulk.ts";
import { identitiesOf } from "../store/node-writes.ts";
import type { AdminStore } from "../store/types.ts";
import type { ImportDocument } from "./document.ts";
import { imageRefsOf } from "./image-refs.ts";
import { sameAsStored } from "./same-record.ts";
import {
  type Current,
  type ImportTarget,
  type PendingWrite,
  storeTarget,
  type WriteOutcome,
} from "./target.ts";
import { type CheckedRecord, checkDocument } from "./validate.ts";

/**
 * `skipped`: valid, but not written because other records in the file are invalid (without
 * `partial`). In a dry run, `created`/`updated`/`unchanged` say what a real run would do.
 */
export type ImportOutcome = "created" | "updated" | "unchanged" | "failed" | "skipped";

export interface ImportRecordResult {
  kind: "image" | "node";
  /** Where the record is in the file: `nodes[2] (rack1-node7)`. */
  record: string;
  id?: string;
  outcome: ImportOutcome;
  /** The version now stored (after a write, or unchanged). */
  version?: number;
  /** For failures, naming record and fields: `nodes[2] (rack1-node7): macs.0: must be ...`. */
  error?: string;
  /** For failures, every problem by field path. */
  problems?: FieldProblem[];
}

export interface ImportReport {
  /** Images, then nodes, each in file order. */
  records: ImportRecordResult[];
  counts: Record<ImportOutcome, number>;
  /** Nothing was written: a dry run. */
  dryRun: boolean;
  /** Nothing was written because some record is invalid (and `partial` was not given). */
  blocked: boolean;
}

export interface ImportOptions {
  /** Write the valid records even when others are invalid. */
  partial?: boolean;
  /** Check and compare with the store, write nothing. */
  dryRun?: boolean;
  /** Called as records are decided: `done` of `total` (the valid records). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Imports a file's images, then its nodes, in three steps:
 * 1. the whole file is checked (checkDocument): schema, repeats within the file;
 * 2. the store is read, in bulk where it can be: images a node names must exist (in the file or
 *    the store), its MACs/UUID must be free or held by a node of the file that gives them up, a
 *    carried `version` must be the stored one; each record is classed created/updated/unchanged;
 * 3. unless the file has problems (then nothing is written, unless `partial`) or this is a dry
 *    run, changed records are written in parallel: images, then nodes (several per
 *    transaction on DynamoDB), then nodes taking a MAC/UUID from another node of the file.
 * Unchanged records are not written (their version stays). A write that fails fails its record
 * alone; an unreachable store (StoreUnavailableError) stops the import, and re-running is safe.
 */
export async function importRecords(
  store: AdminStore & { bulk?: BulkNodeStore },
  doc: ImportDocument,
  options: ImportOptions = {},
): Promise<ImportReport> {
  return importInto(storeTarget(store), doc, options);
}

interface Planned<T> {
  checked: CheckedRecord<T>;
  result: ImportRecordResult;
  current?: Current<T>;
  /** Takes a MAC/UUID that another node of the file gives up: written after the others. */
  moves?: boolean;
}

export async function importInto(
  target: ImportTarget,
  doc: ImportDocument,
  { partial = false, dryRun = false, onProgress = () => {} }: ImportOptions = {},
): Promise<ImportReport> {
  const checked = checkDocument(doc);
  const plan = <T extends { id: string }>(c: CheckedRecord<T>): Planned<T> => ({
    checked: c,
    result: {
      kind: c.kind,
      record: c.label,
      ...(c.value === undefined ? {} : { id: c.value.id }),
      outcome: "failed",
    },
  });
  const images = checked.images.map(plan);
  const nodes = checked.nodes.map(plan);
  const valid = <T>(list: Planned<T>[]) =>
    list.filter((p): p is Planned<T> & { checked: { value: T } } => p.checked.value !== undefined);

  // 2. Read what is stored.
  const fileImages = new Set(valid(images).map((p) => p.checked.value.id));
  const referenced = valid(nodes).flatMap((p) => imageRefsOf(p.checked.value).map((r) => r.id));
  const storedImages = await target.readImages([
    ...fileImages.keys(),
    ...referenced.filter((id) => !fileImages.has(id)),
  ]);
  const storedNodes = await target.readNodes(valid(nodes).map((p) => p.checked.value.id));
  for (const p of valid(images)) p.current = storedImages.get(p.checked.value.id);
  for (const p of valid(nodes)) p.current = storedNodes.get(p.checked.value.id);

  // Images a node names: valid in the file (and not itself refused), or stored.
  const usableInFile = new Set(
    valid(images)
      .filter((p) => p.checked.problems.length === 0)
      .map((p) => p.checked.value.id),
  );
  for (const p of valid(nodes)) {
    for (const ref of imageRefsOf(p.checked.value)) {
      if (!usableInFile.has(ref.id) && !storedImages.has(ref.id)) {
        p.checked.problems.push({
          path: ref.path,
          message: `unknown image ${JSON.stringify(ref.id)} (not in this file or the store)`,
        });
      }
    }
  }
  await checkIdentities(target, valid(nodes));
  // A `version` in the file is checked against the exact stored one (a listing may lack it).
  const needExact = valid(nodes).filter(
    (p) =>
      p.checked.expectedVersion !== undefined &&
      p.current !== undefined &&
      !p.current.corrupt &&
      p.current.listed === true,
  );
  if (needExact.length > 0) {
    const exact = await target.readNodes(
      needExact.map((p) => p.checked.value.id),
      { exact: true },
    );
    for (const p of needExact) p.current = exact.get(p.checked.value.id);
  }
  for (const p of valid(images)) checkVersion(p);
  for (const p of valid(nodes)) checkVersion(p);
  if (target.statesFixed) {
    for (const p of valid(nodes)) {
      const stored = p.current?.corrupt ? undefined : p.current?.versioned.record;
      if (stored !== undefined && stored.state !== p.checked.value.state) {
        p.checked.problems.push({
          path: "state",
          message: `is ${stored.state} in the store; states change with \`swiftboot nodes set-state\``,
        });
      }
    }
  }

  // Class every record; problems make it failed.
  const all: Planned<Image | Node>[] = [...images, ...nodes] as Planned<Image | Node>[];
  for (const p of all) {
    const { checked: c, result } = p;
    if (c.problems.length > 0 || c.value === undefined) {
      result.outcome = "failed";
      result.problems = c.problems;
      result.error = `${c.label}: ${c.problems.map((x) => `${x.path}: ${x.message}`).join("; ")}`;
      continue;
    }
    if (p.current === undefined) result.outcome = "created";
    else if (p.current.corrupt) result.outcome = "updated";
    else if (sameAsStored(p.current.versioned.record, c.value)) {
      result.outcome = "unchanged";
      if (!p.current.listed) result.version = p.current.versioned.version;
    } else result.outcome = "updated";
  }
  const failed = all.filter((p) => p.result.outcome === "failed").length;
  const blocked = failed > 0 && !partial;
  const report = (): ImportReport => {
    const records = all.map((p) => p.result);
    const counts = { created: 0, updated: 0, unchanged: 0, failed: 0, skipped: 0 };
    for (const r of records) counts[r.outcome]++;
    return { records, counts, dryRun, blocked };
  };
  if (dryRun) return report();
  if (blocked) {
    for (const p of all) if (p.result.outcome !== "failed") p.result.outcome = "skipped";
    return report();
  }

  // 3. Write what changed.
  const toWrite = <T>(list: Planned<T>[]) =>
    valid(list).filter((p) => p.result.outcome === "created" || p.result.outcome === "updated");
  const total = all.length - failed;
  let done = all.filter((p) => p.result.outcome === "unchanged").length;
  const progress = (n: number) => {
    done += n;
    onProgress(done, total);
  };
  onProgress(done, total);
  const imageWrites = toWrite(images);
  apply(imageWrites, await target.writeImages(imageWrites.map(pending)));
  progress(imageWrites.length);
  const nodeWrites = toWrite(nodes);
  const direct = nodeWrites.filter((p) => !p.moves);
  apply(direct, await target.writeNodes(direct.map(pending), progress));
  // Nodes taking a MAC/UUID from another node of the file: after it, one pass after another
  // while passes make progress (a chain of moves needs several).
  let queue = nodeWrites.filter((p) => p.moves);
  while (queue.length > 0) {
    const outcomes: WriteOutcome[] = [];
    for (const p of queue) {
      const [outcome] = await target.writeNodes([pending(p)], () => {});
      outcomes.push(outcome as WriteOutcome);
    }
    apply(queue, outcomes);
    const conflicted = queue.filter((_, i) => {
      const o = outcomes[i];
      return o !== undefined && "problems" in o && o.conflict === true;
    });
    progress(queue.length - conflicted.length);
    if (conflicted.length === queue.length) {
      progress(conflicted.length);
      break;
    }
    queue = conflicted;
  }
  return report();
}

function pending<T>(p: Planned<T> & { checked: { value: T } }): PendingWrite<T> {
  const current = p.current === undefined || p.current.corrupt ? undefined : p.current.versioned;
  return {
    record: p.checked.value,
    current,
    ...(p.checked.expectedVersion === undefined
      ? {}
      : { expectedVersion: p.checked.expectedVersion }),
  };
}

function apply<T>(list: Planned<T>[], outcomes: WriteOutcome[]): void {
  list.forEach((p, i) => {
    const o = outcomes[i];
    if (o === undefined) return;
    if ("written" in o) {
      // The plan's word, when it had one: a write the SDK retried after a lost answer finds its
      // own first attempt and says "not created", which is not news to the person reading.
      if (p.result.outcome !== "created" && p.result.outcome !== "updated") {
        p.result.outcome = o.written.created ? "created" : "updated";
      }
      p.result.version = o.written.version;
      p.result.problems = undefined;
      p.result.error = undefined;
    } else {
      p.result.outcome = "failed";
      p.result.problems = o.problems;
      p.result.error = `${p.checked.label}: ${o.problems.map((x) => `${x.path}: ${x.message}`).join("; ")}`;
    }
  });
}

/** A carried `version` must be the stored one (else someone changed the record since `get`). */
function checkVersion<T>(p: Planned<T>): void {
  const expected = p.checked.expectedVersion;
  if (expected === undefined) return;
  const stored =
    p.current === undefined || p.current.corrupt ? undefined : p.current.versioned.version;
  if (stored !== expected) {
    p.checked.problems.push({
      path: "version",
      message:
        stored === undefined
          ? `is ${expected} in the file, but the record is not in the store (deleted since?)`
          : `is ${expected} in the file, but ${stored} in the store: it changed since you read it; get it again`,
    });
  }
}

/**
 * MACs and UUIDs a node takes (lists now, did not before) must be free, or held by a node of the
 * file that gives them up (a move, written after that node).
 */
async function checkIdentities(
  target: ImportTarget,
  nodes: (Planned<Node> & { checked: { value: Node } })[],
): Promise<void> {
  const byId = new Map(nodes.map((p) => [p.checked.value.id, p.checked.value]));
  const taking = nodes.map((p) => {
    const stored =
      p.current === undefined || p.current.corrupt ? undefined : p.current.versioned.record;
    const held = new Set(identitiesOf(stored).map((i) => `${i.kind}:${i.value}`));
    return identitiesOf(p.checked.value).filter((i) => !held.has(`${i.kind}:${i.value}`));
  });
  const owners = await target.claimOwners(taking.flat());
  nodes.forEach((p, index) => {
    const node = p.checked.value;
    for (const id of taking[index] ?? []) {
      const owner = owners.get(`${id.kind}:${id.value}`);
      if (owner === undefined || owner === node.id) continue;
      const ownerNew = byId.get(owner);
      const keeps =
        ownerNew === undefined ||
        (id.kind === "mac" ? ownerNew.macs.includes(id.value) : ownerNew.uuid === id.value);
      if (!keeps) {
        p.moves = true;
        continue;
      }
      const path = id.kind === "mac" ? `macs.${node.macs.indexOf(id.value)}` : "uuid";
      const what = id.kind === "mac" ? "MAC" : "UUID";
      p.checked.problems.push({
        path,
        message: `${what} ${id.value} already belongs to node ${owner}${ownerNew === undefined ? "" : " (which keeps it in this file)"}`,
      });
    }
  });
}
