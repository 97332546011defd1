import { Hono } from "hono";
import { requestLog } from "./middleware/request-log.ts";
import type { AppDeps, AppEnv } from "./types.ts";

/** What a route group is built from: the app's dependencies, with the clock settled. */
export type RouteDeps = Required<Pick<AppDeps, "config" | "store" | "now">> & AppDeps;

/** A set of routes mounted at `/`, or undefined when its dependencies say it is off. */
export type RouteGroup = (deps: RouteDeps) => Hono<AppEnv> | undefined;

/**
 * The frame every swiftboot app shares (one log line per request, `/healthz`, plain-text 404 and
 * 500) around the route groups a deployable serves. shared/http/app.ts mounts all of them; an
 * entry point that serves fewer names its own groups, so its bundle holds only their code (the
 * boot Lambda: bench/cold-start.ts).
 */
export function composeApp(deps: AppDeps, groups: readonly RouteGroup[]): Hono<AppEnv> {
  const routeDeps: RouteDeps = { ...deps, now: deps.now ?? Date.now };
  const app = new Hono<AppEnv>();
  app.use(requestLog(deps.logger, routeDeps.now));
  app.get("/healthz", (c) => c.json({ ok: true }));
  for (const group of groups) {
    const routes = group(routeDeps);
    if (routes !== undefined) app.route("/", routes);
  }
  app.notFound((c) =>
    // Under /v1 (the admin API's and artifacts' prefix) clients expect problem+json.
    c.req.path.startsWith("/v1/") || c.req.path === "/v1"
      ? new Response(
          JSON.stringify({
            type: "urn:swiftboot:problem:not-found",
            title: "Not found",
            status: 404,
            detail: `no route ${c.req.path.slice(0, 200)}`,
          }),
          {
            status: 404,
            headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store" },
          },
        )
      : c.text("not found\n", 404, { "Cache-Control": "no-store" }),
  );
  app.onError((error, c) => {
    c.get("logFields").error =
      error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return c.text("internal error\n", 500, { "Cache-Control": "no-store" });
  });
  return app;
}
