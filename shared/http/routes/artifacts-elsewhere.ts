import { Hono } from "hono";
import { textResponse } from "../responses.ts";
import type { AppEnv } from "../types.ts";

/**
 * `/v1/artifacts/...` on a deployable that serves boot scripts only (the boot Lambda): the
 * request reached the wrong function, a routing mistake in front of swiftboot, so the answer
 * says where it belongs (421 Misdirected Request) instead of a bare 404.
 */
export function artifactsServedElsewhere() {
  const app = new Hono<AppEnv>();
  app.all("/v1/artifacts/*", (c) => {
    c.get("logFields").refused = "misrouted";
    return textResponse(
      421,
      "artifacts are not served here: route /v1/artifacts/* to the artifacts function (docs/deploy.md)",
    );
  });
  return app;
}
