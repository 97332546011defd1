import {
  type Current,
  type ImportDocument,
  type ImportOptions,
  type ImportReport,
  type ImportTarget,
  importInto,
  PARALLEL,
  type PendingWrite,
  type WriteOutcome,
} from "../../../shared/import/index.ts";
import type { FieldProblem, Node } from "../../../shared/model/index.ts";
import { mapLimit } from "../../../shared/store/index.ts";
import { type ApiClient, ApiFailure } from "./api-client.ts";

/**
 * The admin API as an import target: `swiftboot import --url` and `swiftboot nodes|images put`.
 * The same checks and report as the store import (shared/import), with records read and written
 * by the API, several requests at a time. The API's refusals fail their record alone; a
 * refusal of us altogether (401, 403) or an API in trouble (5xx) stops the run.
 */
export function apiTarget(api: ApiClient): ImportTarget {
  const read =
    <T>(base: string) =>
    async (ids: readonly string[]) => {
      const unique = [...new Set(ids)];
      const found = await mapLimit(unique, PARALLEL, (id) =>
        readOne<T>(api, `${base}/${encodeURIComponent(id)}`),
      );
      const map = new Map<string, Current<T>>();
      unique.forEach((id, i) => {
        const current = found[i];
        if (current !== undefined) map.set(id, current);
      });
      return map;
    };
  const write =
    <T extends { id: string }>(base: string) =>
    (writes: readonly PendingWrite<T>[], onWritten: (count: number) => void = () => {}) =>
      mapLimit(writes, PARALLEL, async (w): Promise<WriteOutcome> => {
        try {
          const { status, version } = await api.request(
            "PUT",
            `${base}/${encodeURIComponent(w.record.id)}`,
            {
              body: w.record,
              ...(w.expectedVersion === undefined ? {} : { ifMatch: `"${w.expectedVersion}"` }),
            },
          );
          return { written: { created: status === 201, version: version ?? 0 } };
        } catch (error) {
          return refusal(error);
        } finally {
          onWritten(1);
        }
      });
  const readEach = read<Node>("/v1/nodes");
  // For a large file, every stored node through the listing (1,000 a request) instead of a GET
  // per record and per MAC; it also answers who holds each MAC and UUID.
  let listing: Node[] | undefined;
  return {
    statesFixed: true,
    readImages: read("/v1/images"),
    readNodes: async (ids, { exact = false } = {}) => {
      if (exact || new Set(ids).size < LIST_FROM) return readEach(ids);
      const all = await listAll(api);
      if (all === undefined) return readEach(ids);
      listing = all;
      const wanted = new Set(ids);
      const map = new Map<string, Current<Node>>();
      for (const node of all) {
        if (wanted.has(node.id))
          map.set(node.id, { versioned: { record: node, version: 0 }, listed: true });
      }
      return map;
    },
    claimOwners: async (identities) => {
      if (listing !== undefined) {
        const holders = new Map<string, string>();
        for (const node of listing) {
          for (const mac of node.macs) holders.set(`mac:${mac}`, node.id);
          if (node.uuid !== undefined) holders.set(`uuid:${node.uuid}`, node.id);
        }
        const owners = new Map<string, string>();
        for (const { kind, value } of identities) {
          const owner = holders.get(`${kind}:${value}`);
          if (owner !== undefined) owners.set(`${kind}:${value}`, owner);
        }
        return owners;
      }
      const owners = new Map<string, string>();
      await mapLimit(identities, PARALLEL, async ({ kind, value }) => {
        const { body } = await api.request<{ items: { id: string }[] }>(
          "GET",
          `/v1/nodes?${new URLSearchParams({ [kind]: value })}`,
        );
        const owner = body.items[0]?.id;
        if (owner !== undefined) owners.set(`${kind}:${value}`, owner);
      });
      return owners;
    },
    writeImages: write("/v1/images"),
    writeNodes: write("/v1/nodes"),
  };
}

/** From this many records on, the listing is read instead of one GET per record. */
const LIST_FROM = 100;

/** Every stored node, or undefined when the listing cannot be read (a corrupt record in it). */
async function listAll(api: ApiClient): Promise<Node[] | undefined> {
  const all: Node[] = [];
  try {
    for await (const page of api.pages<Node>("/v1/nodes", new URLSearchParams({ limit: "1000" }))) {
      all.push(...page);
    }
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 500) return undefined;
    throw error;
  }
  return all;
}

async function readOne<T>(api: ApiClient, path: string): Promise<Current<T> | undefined> {
  try {
    const { body, version } = await api.request<T>("GET", path);
    return { versioned: { record: body, version: version ?? 0 } };
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404) return undefined;
    if (
      error instanceof ApiFailure &&
      error.problem.type === "urn:swiftboot:problem:corrupt-record"
    ) {
      return { corrupt: true };
    }
    throw error;
  }
}

/** A 4xx about the record (not about us) as its problems; anything else stops the run. */
function refusal(error: unknown): WriteOutcome {
  if (
    !(error instanceof ApiFailure) ||
    error.status >= 500 ||
    error.status === 401 ||
    error.status === 403
  ) {
    throw error;
  }
  const { problem } = error;
  const errors = Array.isArray(problem.errors) ? (problem.errors as FieldProblem[]) : [];
  const detail = typeof problem.detail === "string" ? problem.detail : error.message;
  return {
    problems: errors.length > 0 ? errors : [{ path: "(record)", message: detail }],
    conflict: problem.type === "urn:swiftboot:problem:identity-conflict",
  };
}

export function importViaApi(
  api: ApiClient,
  doc: ImportDocument,
  options: ImportOptions = {},
): Promise<ImportReport> {
  return importInto(apiTarget(api), doc, options);
}
