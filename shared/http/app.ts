import { Hono } from "hono";
import type { AdminStore, BootStore } from "../store/types.ts";
import { adminApi } from "./admin/index.ts";
import { requestLog } from "./middleware/request-log.ts";
import { artifactRoutes } from "./routes/artifacts.ts";
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
  app.route("/", artifactRoutes({ ...deps, now }));
  const adminStore = deps.adminStore ?? (isAdminStore(deps.store) ? deps.store : undefined);
  if (adminStore !== undefined)
    app.route("/", adminApi({ config: deps.config, store: adminStore }));
  app.notFound((c) => c.text("not found\n", 404, { "Cache-Control": "no-store" }));
  app.onError((error, c) => {
    c.get("logFields").error =
      error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return c.text("internal error\n", 500, { "Cache-Control": "no-store" });
  });
  return app;
}

/** The admin API needs writes and listings, which a boot-only store (a fake, a cache) lacks. */
function isAdminStore(store: BootStore): store is AdminStore {
  const s = store as Partial<AdminStore>;
  return [s.writeNode, s.writeImage, s.listNodes, s.listImages, s.deleteImage, s.listBoots].every(
    (f) => typeof f === "function",
  );
}
