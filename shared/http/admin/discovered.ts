import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { enrollMachine } from "../../discovery/enroll.ts";
import { type DiscoveryStore, discoveredMachineSchema } from "../../discovery/record.ts";
import { idSchema, nameSchema, normalizeMac } from "../../model/index.ts";
import type { AdminStore } from "../../store/types.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { classic } from "./classic-schema.ts";
import { etagOf } from "./etag.ts";
import {
  COMMON_PROBLEMS,
  CONFLICT,
  json,
  jsonWithEtag,
  NOT_FOUND,
  NodeSchema,
  PageQuery,
  SECURITY,
} from "./schemas.ts";

/**
 * Machines that chained in and matched no node (docs/provisioning.md): listed newest first,
 * removable, and enrollable as a node in `enroll` with their MAC and UUID.
 */
const tags = ["discovered"];

const DiscoveredSchema = classic(discoveredMachineSchema).openapi("DiscoveredMachine", {
  description:
    "A machine no node matched: what its last recorded request said, and when it was first and last seen.",
});
const DiscoveredPageSchema = z
  .object({ items: z.array(DiscoveredSchema), next_cursor: z.string().optional() })
  .openapi("DiscoveredPage");
const MacParams = z.object({
  mac: z
    .string()
    .max(64)
    .openapi({ param: { name: "mac", in: "path" }, example: "52-54-00-12-34-56" }),
});
const EnrollSchema = z
  .strictObject({
    id: classic(idSchema).optional().openapi({
      description: "The new node's id; default: the machine's UUID, else mac-<its MAC>.",
    }),
    name: classic(nameSchema).optional().openapi({ description: "Default: the id." }),
  })
  .openapi("Enroll");

const listDiscovered = createRoute({
  method: "get",
  path: "/discovered",
  tags,
  security: SECURITY,
  summary: "Machines that matched no node, most recently seen first",
  request: { query: PageQuery },
  responses: { 200: json(DiscoveredPageSchema, "A page of machines."), ...COMMON_PROBLEMS },
});

const deleteDiscovered = createRoute({
  method: "delete",
  path: "/discovered/{mac}",
  tags,
  security: SECURITY,
  summary: "Forget a discovered machine",
  request: { params: MacParams },
  responses: { 204: { description: "Forgotten." }, ...COMMON_PROBLEMS, ...NOT_FOUND },
});

const enroll = createRoute({
  method: "post",
  path: "/discovered/{mac}/enroll",
  tags,
  security: SECURITY,
  summary: "Make a discovered machine a node in enroll",
  description:
    "Creates the node with the machine's MAC and UUID, in state `enroll`, and forgets the machine. 409 when the id or an identity belongs to another node.",
  request: {
    params: MacParams,
    body: { content: { "application/json": { schema: EnrollSchema } }, required: false },
  },
  responses: {
    201: jsonWithEtag(NodeSchema, "The new node."),
    ...COMMON_PROBLEMS,
    ...NOT_FOUND,
    ...CONFLICT("The id, the MAC or the UUID belongs to another node."),
  },
});

function canonicalMac(mac: string): string {
  const canonical = normalizeMac(mac);
  if (canonical === undefined) {
    throw validationProblem([
      { path: "mac", message: "must be a MAC address such as 52:54:00:ab:cd:ef" },
    ]);
  }
  return canonical;
}

export function registerDiscoveredRoutes(
  app: OpenAPIHono<AppEnv>,
  store: AdminStore & DiscoveryStore,
): void {
  app.openapi(listDiscovered, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await store.listDiscovered({ limit, ...(cursor === undefined ? {} : { cursor }) });
    return c.json(
      { items: page.items, ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }) },
      200,
    );
  });

  app.openapi(deleteDiscovered, async (c) => {
    const mac = canonicalMac(c.req.valid("param").mac);
    if (!(await store.deleteDiscovered(mac))) throw notDiscovered(mac);
    return c.body(null, 204);
  });

  app.openapi(enroll, async (c) => {
    const mac = canonicalMac(c.req.valid("param").mac);
    const text = await c.req.text();
    let body: unknown = {};
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProblemError("invalid-json", "the body is not valid JSON");
      }
    }
    const parsed = EnrollSchema.safeParse(body);
    if (!parsed.success) {
      throw validationProblem(
        parsed.error.issues.map((i) => ({
          path: i.path.length === 0 ? "(root)" : i.path.join("."),
          message: i.message,
        })),
      );
    }
    const machine = await store.getDiscovered(mac);
    if (machine === undefined) throw notDiscovered(mac);
    const outcome = await enrollMachine(store, {
      mac,
      uuid: machine.uuid,
      id: parsed.data.id,
      name: parsed.data.name,
    });
    if (outcome.kind === "conflict") {
      if (outcome.error !== undefined) throw outcome.error; // identity-conflict, naming the node
      throw new ProblemError("node-exists", outcome.reason);
    }
    if (outcome.kind === "exists") {
      throw new ProblemError("node-exists", `node ${outcome.node.id} already exists`);
    }
    await store.deleteDiscovered(mac);
    Object.assign(c.get("logFields"), { node: outcome.node.id, mac });
    c.header("ETag", etagOf(outcome.version));
    c.header("Location", `/v1/nodes/${encodeURIComponent(outcome.node.id)}`);
    return c.json((await store.getNode(outcome.node.id)) ?? outcome.node, 201);
  });
}

function notDiscovered(mac: string): ProblemError {
  return new ProblemError("not-found", `no discovered machine with MAC ${mac}`);
}
