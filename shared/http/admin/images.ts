import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { sameRecord } from "../../import/same-record.ts";
import { CorruptRecordError } from "../../store/errors.ts";
import { imageKey } from "../../store/records.ts";
import type { AdminStore } from "../../store/types.ts";
import { ProblemError, validationProblem } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { etagOf, expectedVersion, parseIfMatch } from "./etag.ts";
import {
  BODY_PROBLEMS,
  COMMON_PROBLEMS,
  CONFLICT,
  IdParams,
  IfMatchHeaders,
  ImagePageSchema,
  ImageSchema,
  json,
  jsonWithEtag,
  NOT_FOUND,
  PageQuery,
  PRECONDITION,
  SECURITY,
} from "./schemas.ts";

const tags = ["images"];

const putImage = createRoute({
  operationId: "putImage",
  method: "put",
  path: "/images/{id}",
  tags,
  security: SECURITY,
  summary: "Create or replace an image",
  request: {
    params: IdParams,
    headers: IfMatchHeaders,
    body: { content: { "application/json": { schema: ImageSchema } }, required: true },
  },
  responses: {
    200: jsonWithEtag(ImageSchema, "Replaced."),
    201: jsonWithEtag(ImageSchema, "Created."),
    ...COMMON_PROBLEMS,
    ...BODY_PROBLEMS,
    ...PRECONDITION,
  },
});

const getImage = createRoute({
  operationId: "getImage",
  method: "get",
  path: "/images/{id}",
  tags,
  security: SECURITY,
  summary: "Get an image",
  request: { params: IdParams },
  responses: { 200: jsonWithEtag(ImageSchema, "The image."), ...COMMON_PROBLEMS, ...NOT_FOUND },
});

const listImages = createRoute({
  operationId: "listImages",
  method: "get",
  path: "/images",
  tags,
  security: SECURITY,
  summary: "List images by id",
  request: { query: PageQuery },
  responses: { 200: json(ImagePageSchema, "A page of images."), ...COMMON_PROBLEMS },
});

const deleteImage = createRoute({
  operationId: "deleteImage",
  method: "delete",
  path: "/images/{id}",
  tags,
  security: SECURITY,
  summary: "Delete an image no node uses",
  request: { params: IdParams, headers: IfMatchHeaders },
  responses: {
    204: { description: "Deleted." },
    ...COMMON_PROBLEMS,
    ...NOT_FOUND,
    ...CONFLICT("Nodes use the image: `nodes` lists them."),
    ...PRECONDITION,
  },
});

const notFound = (id: string) => new ProblemError("not-found", `no image ${id}`);

/** The stored image; a corrupt one reads as absent here, so PUT can replace (repair) it. */
async function currentImage(store: AdminStore, id: string) {
  try {
    return await store.getImageVersioned(id);
  } catch (error) {
    if (error instanceof CorruptRecordError) return undefined;
    throw error;
  }
}

export function registerImageRoutes(app: OpenAPIHono<AppEnv>, store: AdminStore): void {
  app.openapi(putImage, async (c) => {
    const { id } = c.req.valid("param");
    const image = c.req.valid("json");
    if (image.id !== id) {
      throw validationProblem([{ path: "id", message: `must be ${id}, the id in the path` }]);
    }
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    const current = await currentImage(store, id);
    // The same record again: nothing to write, and the version (the ETag) stays.
    const same =
      current !== undefined && sameRecord(current.record, image)
        ? { version: expectedVersion(imageKey(id), ifMatch, current), created: false }
        : undefined;
    const expected = ifMatch === "*" ? expectedVersion(imageKey(id), ifMatch, current) : ifMatch;
    const written =
      same ??
      (await store.writeImage(image, {
        ...(expected === undefined ? {} : { expectedVersion: expected }),
      }));
    c.header("ETag", etagOf(written.version));
    if (written.created) {
      c.header("Location", `/v1/images/${id}`);
      return c.json(image, 201);
    }
    return c.json(image, 200);
  });

  app.openapi(getImage, async (c) => {
    const { id } = c.req.valid("param");
    const found = await store.getImageVersioned(id);
    if (found === undefined) throw notFound(id);
    c.header("ETag", etagOf(found.version));
    return c.json(found.record, 200);
  });

  app.openapi(listImages, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await store.listImages({ limit, ...(cursor === undefined ? {} : { cursor }) });
    return c.json(
      { items: page.items, ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }) },
      200,
    );
  });

  app.openapi(deleteImage, async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
    const expected =
      ifMatch === "*"
        ? expectedVersion(imageKey(id), ifMatch, await store.getImageVersioned(id))
        : ifMatch;
    const deleted = await store.deleteImage(id, {
      ...(expected === undefined ? {} : { expectedVersion: expected }),
    });
    if (!deleted) throw notFound(id);
    return c.body(null, 204);
  });
}
