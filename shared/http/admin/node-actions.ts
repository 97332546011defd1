import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { applyAction } from "../../model/transitions.ts";
import { nodeKey } from "../../store/records.ts";
import type { AdminStore } from "../../store/types.ts";
import type { AppEnv } from "../types.ts";
import { etagOf, expectedVersion, parseIfMatch, readCheckWrite } from "./etag.ts";
import { nodeNotFound } from "./nodes.ts";
import {
  ActionParams,
  BootPageSchema,
  COMMON_PROBLEMS,
  CONFLICT,
  IdParams,
  IfMatchHeaders,
  json,
  jsonWithEtag,
  NOT_FOUND,
  NodeSchema,
  PageQuery,
  PRECONDITION,
  SECURITY,
} from "./schemas.ts";

const tags = ["nodes"];

const runAction = createRoute({
  operationId: "runNodeAction",
  method: "post",
  path: "/nodes/{id}/actions/{action}",
  tags,
  security: SECURITY,
  summary: "Move a node through its provision states",
  description:
    "Applies one action of the state machine (docs/admin-api.md). Refused with 409, listing the allowed actions, when the node's state does not allow it.",
  request: { params: ActionParams, headers: IfMatchHeaders },
  responses: {
    200: jsonWithEtag(NodeSchema, "The node in its new state."),
    ...COMMON_PROBLEMS,
    ...NOT_FOUND,
    ...CONFLICT("The action is not allowed from the node's state: `allowed` lists those that are."),
    ...PRECONDITION,
  },
});

const listBoots = createRoute({
  operationId: "listNodeBoots",
  method: "get",
  path: "/nodes/{id}/boots",
  tags,
  security: SECURITY,
  summary: "The node's boot history, newest first",
  request: { params: IdParams, query: PageQuery },
  responses: { 200: json(BootPageSchema, "A page of boots."), ...COMMON_PROBLEMS, ...NOT_FOUND },
});

export function registerNodeActionRoutes(app: OpenAPIHono<AppEnv>, store: AdminStore): void {
  app.openapi(runAction, async (c) => {
    const { id, action } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    const result = await readCheckWrite(ifMatch, async () => {
      const current = await store.getNodeVersioned(id);
      if (current === undefined) throw nodeNotFound(id);
      const expected = expectedVersion(nodeKey(id), ifMatch, current);
      const node = { ...current.record, state: applyAction(current.record.state, action) };
      const written = await store.writeNode(node, { expectedVersion: expected });
      return { node, version: written.version, from: current.record.state };
    });
    Object.assign(c.get("logFields"), {
      node: id,
      action,
      from: result.from,
      to: result.node.state,
    });
    c.header("ETag", etagOf(result.version));
    return c.json(result.node, 200);
  });

  app.openapi(listBoots, async (c) => {
    const { id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    if ((await store.getNodeVersioned(id)) === undefined) throw nodeNotFound(id);
    const page = await store.listBoots(id, { limit, ...(cursor === undefined ? {} : { cursor }) });
    return c.json(
      { items: page.items, ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }) },
      200,
    );
  });
}
