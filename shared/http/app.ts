import type { Hono } from "hono";
import type { AdminStore, BootStore } from "../store/types.ts";
import { adminApi } from "./admin/index.ts";
import { composeApp, type RouteDeps } from "./compose.ts";
import { artifactRoutes } from "./routes/artifacts.ts";
import { bootRoutes } from "./routes/boot.ts";
import { callbackRouteGroup } from "./routes/callbacks.ts";
import { ipxeRoutes } from "./routes/ipxe.ts";
import type { AppDeps, AppEnv } from "./types.ts";

/**
 * The one web-standard app every runtime serves: Node (`npm start`), Lambda and Workers only
 * adapt requests to it. Boot scripts, artifacts, and the admin API when the store can serve it.
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  return composeApp(deps, [
    bootRoutes,
    artifactRoutes,
    ipxeRoutes,
    callbackRouteGroup,
    adminRoutes,
  ]);
}

function adminRoutes(deps: RouteDeps) {
  const store = deps.adminStore ?? (isAdminStore(deps.store) ? deps.store : undefined);
  return store === undefined
    ? undefined
    : adminApi({
        config: deps.config,
        store,
        ...(deps.adminAuth === undefined ? {} : { authenticate: deps.adminAuth }),
      });
}

/** The admin API needs writes and listings, which a boot-only store (a fake, a cache) lacks. */
function isAdminStore(store: BootStore): store is AdminStore {
  const s = store as Partial<AdminStore>;
  return [s.writeNode, s.writeImage, s.listNodes, s.listImages, s.deleteImage, s.listBoots].every(
    (f) => typeof f === "function",
  );
}
