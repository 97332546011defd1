import { Hono } from "hono";
import { requestLog } from "./middleware/request-log.ts";
import { bootRoutes } from "./routes/boot.ts";
import type { AppDeps, AppEnv } from "./types.ts";

/**
 * The one web-standard app every runtime serves: Node (`npm start`), Lambda and Workers only
 * adapt requests to it.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const now = deps.now ?? Date.now;
  const app = new Hono<AppEnv>();
  app.use(requestLog(deps.logger, now));
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route("/", bootRoutes({ ...deps, now }));
  app.notFound((c) => c.text("not found\n", 404, { "Cache-Control": "no-store" }));
  app.onError((error, c) => {
    c.get("logFields").error =
      error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return c.text("internal error\n", 500, { "Cache-Control": "no-store" });
  });
  return app;
}
