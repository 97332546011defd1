import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { sameAsStored } from "../../import/same-record.ts";
import { type Node, nodeSchema, normalizeMac, normalizeUuid } from "../../model/index.ts";
import { CorruptRecordError } from "../../store/errors.ts";
import { nodeKey } from "../../store/records.ts";
import type { AdminStore, Versioned } from "../../store/types.ts";
import { ProblemError, validationProblem, zodProblem } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { etagOf, expectedVersion, parseIfMatch, readCheckWrite } from "./etag.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { checkImagesExist, stateChangeProblem } from "./node-checks.ts";
import {
  BODY_PROBLEMS,
  COMMON_PROBLEMS,
  CONFLICT,
  IdParams,
  IfMatchHeaders,
  json,
  jsonWithEtag,
  NOT_FOUND,
  NodeListQuery,
  NodePageSchema,
  NodePatchSchema,
  NodeSchema,
  PRECONDITION,
  SECURITY,
} from "./schemas.ts";

const tags = ["nodes"];

const putNode = createRoute({
  operationId: "putNode",
  method: "put",
  path: "/nodes/{id}",
  tags,
  security: SECURITY,
  summary: "Create or replace a node",
  description:
    "On create, any state. On replace, `state` must be the current one: states change through actions.",
  request: {
    params: IdParams,
    headers: IfMatchHeaders,
    body: { content: { "application/json": { schema: NodeSchema } }, required: true },
  },
  responses: {
    200: jsonWithEtag(NodeSchema, "Replaced."),
    201: jsonWithEtag(NodeSchema, "Created."),
    ...COMMON_PROBLEMS,
    ...BODY_PROBLEMS,
    ...CONFLICT("A MAC or UUID belongs to another node, or the state would change."),
    ...PRECONDITION,
  },
});

const patchNode = createRoute({
  operationId: "patchNode",
  method: "patch",
  path: "/nodes/{id}",
  tags,
  security: SECURITY,
  summary: "Change some of a node's fields (JSON merge patch)",
  request: {
    params: IdParams,
    headers: IfMatchHeaders,
    body: {
      content: {
        "application/merge-patch+json": { schema: NodePatchSchema },
        "application/json": { schema: NodePatchSchema },
      },
      required: true,
    },
  },
  responses: {
    200: jsonWithEtag(NodeSchema, "The node as changed."),
    ...COMMON_PROBLEMS,
    ...BODY_PROBLEMS,
    ...NOT_FOUND,
    ...CONFLICT("A MAC or UUID belongs to another node, or the patch changes the state."),
    ...PRECONDITION,
  },
});

const getNode = createRoute({
  operationId: "getNode",
  method: "get",
  path: "/nodes/{id}",
  tags,
  security: SECURITY,
  summary: "Get a node",
  request: { params: IdParams },
  responses: { 200: jsonWithEtag(NodeSchema, "The node."), ...COMMON_PROBLEMS, ...NOT_FOUND },
});

const listNodes = createRoute({
  operationId: "listNodes",
  method: "get",
  path: "/nodes",
  tags,
  security: SECURITY,
  summary: "List nodes, or find one by MAC or UUID",
  description:
    "Pages come in (state, id) order. With `mac` or `uuid`, at most the one node holding it (and no cursor).",
  request: { query: NodeListQuery },
  responses: { 200: json(NodePageSchema, "A page of nodes."), ...COMMON_PROBLEMS },
});

const deleteNode = createRoute({
  operationId: "deleteNode",
  method: "delete",
  path: "/nodes/{id}",
  tags,
  security: SECURITY,
  summary: "Delete a node, releasing its MACs and UUID",
  request: { params: IdParams, headers: IfMatchHeaders },
  responses: {
    204: { description: "Deleted." },
    ...COMMON_PROBLEMS,
    ...NOT_FOUND,
    ...PRECONDITION,
  },
});

export const nodeNotFound = (id: string) => new ProblemError("not-found", `no node ${id}`);

/** A stored node that fails validation can still be replaced (repaired) by PUT. */
async function currentForReplace(store: AdminStore, id: string) {
  try {
    return { current: await store.getNodeVersioned(id), corrupt: false };
  } catch (error) {
    if (error instanceof CorruptRecordError) return { current: undefined, corrupt: true };
    throw error;
  }
}

export function registerNodeRoutes(app: OpenAPIHono<AppEnv>, store: AdminStore): void {
  app.openapi(putNode, async (c) => {
    const { id } = c.req.valid("param");
    const node = c.req.valid("json");
    if (node.id !== id) {
      throw validationProblem([{ path: "id", message: `must be ${id}, the id in the path` }]);
    }
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    await checkImagesExist(store, node);
    const written = await readCheckWrite(ifMatch, async () => {
      const { current, corrupt } = await currentForReplace(store, id);
      if (current !== undefined && current.record.state !== node.state) {
        throw stateChangeProblem(id, current.record, node.state);
      }
      const expected = corrupt
        ? typeof ifMatch === "number"
          ? ifMatch
          : undefined
        : expectedVersion(nodeKey(id), ifMatch, current);
      // The same record again: nothing to write, and the version (the ETag) stays.
      if (current !== undefined && sameAsStored(current.record, node)) {
        return { version: current.version, created: false };
      }
      return store.writeNode(node, {
        requireImages: true,
        ...(expected === undefined ? {} : { expectedVersion: expected }),
      });
    });
    c.header("ETag", etagOf(written.version));
    if (written.created) {
      c.header("Location", `/v1/nodes/${id}`);
      return c.json(node, 201);
    }
    return c.json(node, 200);
  });

  app.openapi(patchNode, async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    const result = await readCheckWrite(ifMatch, async () => {
      const current = await store.getNodeVersioned(id);
      if (current === undefined) throw nodeNotFound(id);
      const expected = expectedVersion(nodeKey(id), ifMatch, current);
      const node = patched(id, current, patch);
      await checkImagesExist(store, node);
      const written = await store.writeNode(node, {
        requireImages: true,
        expectedVersion: expected,
      });
      return { node, version: written.version };
    });
    c.header("ETag", etagOf(result.version));
    return c.json(result.node, 200);
  });

  app.openapi(getNode, async (c) => {
    const { id } = c.req.valid("param");
    const found = await store.getNodeVersioned(id);
    if (found === undefined) throw nodeNotFound(id);
    c.header("ETag", etagOf(found.version));
    return c.json(found.record, 200);
  });

  app.openapi(listNodes, async (c) => {
    const { limit, cursor, state, mac, uuid } = c.req.valid("query");
    if (mac !== undefined || uuid !== undefined) {
      const node = await findByIdentity(store, mac, uuid);
      const items =
        node === undefined || (state !== undefined && node.state !== state) ? [] : [node];
      return c.json({ items }, 200);
    }
    const page = await store.listNodes({
      limit,
      ...(cursor === undefined ? {} : { cursor }),
      ...(state === undefined ? {} : { state }),
    });
    return c.json(
      { items: page.items, ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }) },
      200,
    );
  });

  app.openapi(deleteNode, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    let expected = typeof ifMatch === "number" ? ifMatch : undefined;
    if (ifMatch === "*") {
      const { current } = await currentForReplace(store, id);
      if (current !== undefined) expected = current.version;
    }
    const deleted = await store.deleteNode(id, {
      ...(expected === undefined ? {} : { expectedVersion: expected }),
    });
    if (!deleted) throw nodeNotFound(id);
    return c.body(null, 204);
  });
}

/** The node after a merge patch, validated as a whole; `id` and `state` cannot change here. */
function patched(id: string, current: Versioned<Node>, patch: Record<string, unknown>): Node {
  if ("id" in patch && patch.id !== id) {
    throw validationProblem([{ path: "id", message: "cannot change; create a new node instead" }]);
  }
  if ("state" in patch && patch.state !== current.record.state) {
    throw stateChangeProblem(id, current.record, String(patch.state));
  }
  const result = nodeSchema.safeParse(applyMergePatch(current.record, patch));
  if (!result.success) throw zodProblem(result.error);
  return result.data;
}

async function findByIdentity(
  store: AdminStore,
  mac: string | undefined,
  uuid: string | undefined,
): Promise<Node | undefined> {
  const canonicalMac = mac === undefined ? undefined : normalizeMac(mac);
  const canonicalUuid = uuid === undefined ? undefined : normalizeUuid(uuid);
  const errors = [
    ...(mac !== undefined && canonicalMac === undefined
      ? [{ path: "mac", message: "must be a MAC address such as 52:54:00:ab:cd:ef" }]
      : []),
    ...(uuid !== undefined && canonicalUuid === undefined
      ? [{ path: "uuid", message: "must be a UUID such as 4c4c4544-0042-3510-8052-b4c04f384d32" }]
      : []),
  ];
  if (errors.length > 0) throw validationProblem(errors);
  const found =
    canonicalMac !== undefined
      ? await store.findNodeByMac(canonicalMac)
      : await store.findNodeByUuid(canonicalUuid as string);
  // The boot path's lookup may answer from a MAC claim's snapshot (no reports, no inventory):
  // the API shows the node item itself.
  const node = found === undefined ? undefined : await store.getNode(found.id);
  // Both given: the node must hold both.
  return canonicalUuid !== undefined && node?.uuid !== canonicalUuid ? undefined : node;
}
