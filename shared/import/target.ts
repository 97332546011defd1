import type { FieldProblem, Image, Node } from "../model/index.ts";
import {
  CorruptRecordError,
  IdentityConflictError,
  StoreError,
  StoreUnavailableError,
  VersionMismatchError,
} from "../store/errors.ts";
import type { BulkNodeStore, BulkWriteResult, Identity } from "../store/index.ts";
import { mapLimit } from "../store/index.ts";
import type { AdminStore, Versioned, WriteResult } from "../store/types.ts";

/**
 * Where an import writes: the store itself (`swiftboot import`), or the admin API (`--url`, and
 * `swiftboot nodes|images put`, in functions/cli). The import (import-records.ts) decides what to
 * write; a target only reads and writes, in bulk where it can.
 */

/** A stored record as read: `corrupt` when it exists but fails validation (it is replaced). */
export type Current<T> =
  | {
      versioned: Versioned<T>;
      corrupt?: false;
      /** From a listing: the version is not known (0). readNodes with `exact` gets it. */
      listed?: true;
    }
  | { corrupt: true };

/** A write's result, or why it failed (field problems; `conflict` for a MAC/UUID held elsewhere). */
export type WriteOutcome =
  | { written: WriteResult }
  | { problems: FieldProblem[]; conflict?: boolean };

export interface PendingWrite<T> {
  record: T;
  current: Versioned<T> | undefined;
  expectedVersion?: number;
}

export interface ImportTarget {
  readImages(ids: readonly string[]): Promise<Map<string, Current<Image>>>;
  /** `exact`: versions wanted (a listing may leave them out). */
  readNodes(
    ids: readonly string[],
    options?: { exact?: boolean },
  ): Promise<Map<string, Current<Node>>>;
  /** Which node holds each MAC/UUID, by `${kind}:${value}`; free ones are absent. */
  claimOwners(identities: readonly Identity[]): Promise<Map<string, string>>;
  /** The admin API refuses state changes on replace (they go through actions). */
  readonly statesFixed: boolean;
  writeImages(writes: readonly PendingWrite<Image>[]): Promise<WriteOutcome[]>;
  writeNodes(
    writes: readonly PendingWrite<Node>[],
    onWritten: (count: number) => void,
  ): Promise<WriteOutcome[]>;
}

/** Parallel requests when a target has no bulk operation: per-record reads and writes. */
export const PARALLEL = 16;

/** A store failure as the problems of the record it failed; an unreachable store is thrown. */
export function storeProblems(node: Node | undefined, error: unknown): WriteOutcome {
  if (error instanceof StoreUnavailableError || !(error instanceof StoreError)) throw error;
  if (error instanceof IdentityConflictError) {
    const path =
      error.kind === "uuid" || node === undefined
        ? error.kind
        : `macs.${node.macs.indexOf(error.value)}`;
    return { problems: [{ path, message: error.message }], conflict: true };
  }
  if (error instanceof VersionMismatchError) {
    return { problems: [{ path: "version", message: `${error.message}: read it again` }] };
  }
  return { problems: [{ path: "(record)", message: error.message }] };
}

async function readLenient<T>(read: () => Promise<Versioned<T> | undefined>) {
  try {
    const versioned = await read();
    return versioned === undefined ? undefined : ({ versioned } as Current<T>);
  } catch (error) {
    if (error instanceof CorruptRecordError) return { corrupt: true } as Current<T>;
    throw error;
  }
}

async function readEach<T>(
  ids: readonly string[],
  read: (id: string) => Promise<Versioned<T> | undefined>,
): Promise<Map<string, Current<T>>> {
  const unique = [...new Set(ids)];
  const found = await mapLimit(unique, PARALLEL, (id) => readLenient(() => read(id)));
  const map = new Map<string, Current<T>>();
  unique.forEach((id, i) => {
    const current = found[i];
    if (current !== undefined) map.set(id, current);
  });
  return map;
}

const options = (expectedVersion: number | undefined) =>
  expectedVersion === undefined ? {} : { expectedVersion };

/** The store as an import target: batched on DynamoDB (its `bulk`), per record elsewhere. */
export function storeTarget(store: AdminStore & { bulk?: BulkNodeStore }): ImportTarget {
  const bulk = store.bulk;
  return {
    statesFixed: false,
    readImages: (ids) => readEach(ids, (id) => store.getImageVersioned(id)),
    readNodes: async (ids) => {
      if (bulk === undefined) return readEach(ids, (id) => store.getNodeVersioned(id));
      const map = new Map<string, Current<Node>>();
      for (const [id, found] of await bulk.readNodes(ids)) {
        map.set(
          id,
          found.versioned === undefined ? { corrupt: true } : { versioned: found.versioned },
        );
      }
      return map;
    },
    claimOwners: async (identities) => {
      if (bulk !== undefined) return bulk.claimOwners(identities);
      const owners = new Map<string, string>();
      await mapLimit(identities, PARALLEL, async (id) => {
        const node =
          id.kind === "mac"
            ? await store.findNodeByMac(id.value)
            : await store.findNodeByUuid(id.value);
        if (node !== undefined) owners.set(`${id.kind}:${id.value}`, node.id);
      });
      return owners;
    },
    writeImages: (writes) =>
      mapLimit(writes, PARALLEL, async ({ record, expectedVersion }) => {
        try {
          return { written: await store.writeImage(record, options(expectedVersion)) };
        } catch (error) {
          return storeProblems(undefined, error);
        }
      }),
    writeNodes: async (writes, onWritten) => {
      const results: BulkWriteResult[] =
        bulk !== undefined
          ? await bulk.writeNodes(
              writes.map((w) => ({
                node: w.record,
                current: w.current,
                ...options(w.expectedVersion),
              })),
              onWritten,
            )
          : await mapLimit(writes, PARALLEL, async ({ record, expectedVersion }) => {
              try {
                return { result: await store.writeNode(record, options(expectedVersion)) };
              } catch (error) {
                return { error };
              } finally {
                onWritten(1);
              }
            });
      return results.map((r, i) =>
        "result" in r ? { written: r.result } : storeProblems(writes[i]?.record, r.error),
      );
    },
  };
}
