import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../../config/index.ts";
import { isDiscoveryStore } from "../../discovery/record.ts";
import type { AdminStore } from "../../store/types.ts";
import { bearerAuth, parseTokenEntries } from "../auth/index.ts";
import { ProblemError, problemResponse, zodProblem } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { registerDiscoveredRoutes } from "./discovered.ts";
import { adminFallback } from "./fallback.ts";
import { registerImageRoutes } from "./images.ts";
import { registerNodeActionRoutes } from "./node-actions.ts";
import { registerNodeRoutes } from "./nodes.ts";

/** Request bodies larger than this are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Where the admin API lives; nothing else under /v1 (the artifact route) is touched. */
const PATHS = [
  "/images",
  "/images/*",
  "/nodes",
  "/nodes/*",
  "/discovered",
  "/discovered/*",
] as const;

export interface AdminApiDeps {
  config: Config;
  store: AdminStore;
  /**
   * Who may call, instead of `admin.tokens`' bearer tokens: the AWS admin function's IAM
   * principal check (auth/iam-principal.ts). Given, the API is on whatever `admin.tokens` says.
   */
  authenticate?: MiddlewareHandler<AppEnv>;
}

/**
 * The admin API under `/v1` (docs/admin-api.md), built with @hono/zod-openapi so that the
 * model's zod schemas both validate requests and describe them in `GET /v1/openapi.json`.
 * Without `admin.tokens` every admin path answers 404 (the API is off). Mount with
 * `app.route("/", adminApi(deps))`.
 */
export function adminApi({ config, store, authenticate }: AdminApiDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw zodProblem(result.error);
    },
  }).basePath("/v1");
  app.onError((error, c) => problemResponse(c, error));

  const tokens = parseTokenEntries(config.admin.tokens);
  if (tokens.length === 0 && authenticate === undefined) {
    const disabled: MiddlewareHandler<AppEnv> = (c) =>
      Promise.resolve(
        problemResponse(
          c,
          new ProblemError(
            "admin-disabled",
            "the admin API is off: no admin.tokens configured (see `swiftboot token`)",
          ),
        ),
      );
    for (const path of [...PATHS, "/openapi.json"]) app.use(path, disabled);
    return app;
  }

  const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  };
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      problemResponse(
        c as Parameters<typeof problemResponse>[0],
        new ProblemError("payload-too-large", `bodies are limited to ${MAX_BODY_BYTES} bytes`),
      ),
  });
  const auth = authenticate ?? bearerAuth(tokens);
  for (const path of PATHS) app.use(path, noStore, auth, limit);

  registerImageRoutes(app, store);
  registerNodeRoutes(app, store);
  registerNodeActionRoutes(app, store);
  if (isDiscoveryStore(store)) registerDiscoveredRoutes(app, store);
  for (const path of PATHS) app.all(path, adminFallback);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A token from `swiftboot token`; GET needs scope read or admin, writes admin.",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "swiftboot admin API",
      version: "1",
      description:
        "Images, nodes, provision state actions and boot history. Errors are RFC 9457 problem+json.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    // The server the document was fetched from (or ipxe.public_url): paths start with /v1.
    servers: [
      {
        url: config.ipxe.public_url ?? new URL(c.req.url).origin,
        description: "this swiftboot",
      },
    ],
  }));
  return app;
}
