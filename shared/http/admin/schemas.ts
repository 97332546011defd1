import { z } from "@hono/zod-openapi";
import type * as core from "zod/v4/core";
import { imageSchema, nodeSchema, provisionStateSchema } from "../../model/index.ts";
import { provisionActionSchema } from "../../model/transitions.ts";
import { bootRecordSchema } from "../../store/boot-record.ts";
import { classic } from "./classic-schema.ts";

/**
 * The admin API's schemas: the model's own zod schemas (so the API validates exactly what the
 * store accepts), named for the OpenAPI document, plus the envelopes around them.
 */

/** A model schema (zod/mini) as a named classic schema, a component of the OpenAPI document. */
function named<S extends core.$ZodType>(
  schema: S,
  refId: string,
  metadata: { description: string },
) {
  return classic(schema).openapi(refId, metadata);
}

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export const NodeSchema = named(nodeSchema, "Node", {
  description:
    "A machine. MACs are accepted as 52:54:00:ab:cd:ef, 52-54-00-ab-cd-ef or 525400abcdef and stored in the first form.",
});
export const ImageSchema = named(imageSchema, "Image", { description: "A kernel or ramdisk." });
export const BootRecordSchema = named(bootRecordSchema, "BootRecord", {
  description: "One script served to the node. URLs are not kept, only when they expire.",
});

export const NodePatchSchema = z.record(z.string(), z.unknown()).openapi("NodePatch", {
  description:
    "JSON merge patch (RFC 7396) of a Node: fields to replace, null to remove one. `id` cannot change; `state` changes only through actions.",
  example: { kernel_args: "console=ttyS0", uuid: null },
});

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem", { description: "RFC 9457 problem details." });

const page = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .optional()
        .openapi({ description: "Pass as `cursor` for the next page; absent on the last." }),
    })
    .openapi(name);

export const NodePageSchema = page(NodeSchema, "NodePage");
export const ImagePageSchema = page(ImageSchema, "ImagePage");
export const BootPageSchema = page(BootRecordSchema, "BootPage");

export const IdParams = z.object({
  id: z
    .string()
    .max(1024)
    .openapi({ param: { name: "id", in: "path" }, example: "rack1-node7" }),
});

export const ActionParams = IdParams.extend({
  action: classic(provisionActionSchema).openapi({ param: { name: "action", in: "path" } }),
});

export const IfMatchHeaders = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      description: 'The ETag of the version this write is based on (e.g. "3"), or * for any.',
    }),
});

const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ param: { name: "limit", in: "query" } }),
  cursor: z
    .string()
    .max(2048)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
};

export const PageQuery = z.strictObject(pageQuery);

export const NodeListQuery = z.strictObject({
  ...pageQuery,
  state: classic(provisionStateSchema)
    .optional()
    .openapi({ param: { name: "state", in: "query" } }),
  mac: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "mac", in: "query" }, description: "Only the node with this MAC." }),
  uuid: z
    .string()
    .max(64)
    .optional()
    .openapi({
      param: { name: "uuid", in: "query" },
      description: "Only the node with this UUID.",
    }),
});

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** Answers every authenticated route can give. */
export const COMMON_PROBLEMS = {
  400: problem("Invalid request: `errors` names each bad field."),
  401: problem("No token, or not a valid one."),
  403: problem("The token's scope does not allow this method."),
  405: problem("The path exists but not with this method: `Allow` lists those it takes."),
  503: problem("The store is unavailable; retry after `Retry-After` seconds."),
} as const;

/** Answers of routes that take a body. */
export const BODY_PROBLEMS = {
  413: problem("The body is larger than 256 KiB."),
  415: problem("The body is not sent as application/json."),
} as const;

export const NOT_FOUND = { 404: problem("No such record.") } as const;
export const CONFLICT = (description: string) => ({ 409: problem(description) }) as const;
export const PRECONDITION = {
  412: problem("If-Match does not match the stored version."),
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonWithEtag = <T extends z.ZodType>(schema: T, description: string) => ({
  ...json(schema, description),
  headers: z.object({
    ETag: z.string().openapi({ description: "The version, for If-Match.", example: '"3"' }),
  }),
});

export const SECURITY = [{ bearer: [] }];
