import { type Context, Hono } from "hono";
import { withImageCache } from "../../boot/image-cache.ts";
import {
  baseUrlResolver,
  bootSettings,
  buildFirstStageScript,
  InvalidBaseUrlError,
  parseBootIdentity,
  requestQuery,
  scriptForRequest,
} from "../../boot/index.ts";
import { IpxeScript } from "../../ipxe/index.ts";
import { RETRY_AFTER_SECONDS, SCRIPT_HEADERS, scriptErrorResponse } from "../responses.ts";
import type { AppDeps, AppEnv } from "../types.ts";
import { bootHistoryRecorder } from "./record-boot.ts";
import { recordDiscoveryInBackground } from "./record-discovery.ts";

/**
 * The routes iPXE calls. Every answer is a script: iPXE shows nothing useful for a bare 404, and
 * a machine must always learn what to do next.
 */
export function bootRoutes(deps: Required<Pick<AppDeps, "config" | "store" | "now">> & AppDeps) {
  const { config, store, now } = deps;
  const settings = bootSettings(config);
  const recordBoot = bootHistoryRecorder(deps);
  const scriptStore = withImageCache(store, config.store.image_cache_seconds);
  // Served with 503 + Retry-After, which iPXE retries by itself; the body is for anything else.
  const unavailableScript = new IpxeScript()
    .echo(`swiftboot: the node store is unavailable; retry in ${RETRY_AFTER_SECONDS} s`)
    .echo(settings.failMessage)
    .line([settings.failAction])
    .toString();
  // 500: a failure retrying will not fix (a corrupt stored record); the log line says which.
  const failedScript = new IpxeScript()
    .echo("swiftboot: server error while preparing this machine's boot script (see the server log)")
    .echo(settings.failMessage)
    .line([settings.failAction])
    .toString();
  const badRequestScript = (reason: string) =>
    new IpxeScript()
      .echo(`swiftboot: bad request: ${reason}`)
      .echo(settings.failMessage)
      .line([settings.failAction])
      .toString();

  const app = new Hono<AppEnv>();

  const baseUrlOf = baseUrlResolver(config);

  /** The base URL scripts point back at, or a 400 script if the Host header is unusable. */
  const baseUrlOr400 = (c: Context<AppEnv>): string | Response => {
    try {
      return baseUrlOf(c.req.url);
    } catch (error) {
      if (!(error instanceof InvalidBaseUrlError)) throw error;
      return c.body(badRequestScript(error.message), 400, SCRIPT_HEADERS);
    }
  };

  app.get("/boot.ipxe", (c) => {
    const baseUrl = baseUrlOr400(c);
    if (baseUrl instanceof Response) return baseUrl;
    c.get("logFields").outcome = "first-stage";
    return c.body(buildFirstStageScript({ config, baseUrl }), 200, SCRIPT_HEADERS);
  });

  app.get("/boot/:file", async (c) => {
    const file = c.req.param("file");
    if (!file.endsWith(".ipxe"))
      return c.body(badRequestScript("expected /boot/<mac>.ipxe"), 404, SCRIPT_HEADERS);
    const baseUrl = baseUrlOr400(c);
    if (baseUrl instanceof Response) return baseUrl;
    const request = parseBootIdentity(file, requestQuery(c.req.url));
    try {
      const clientIp = deps.clientAddress?.(c);
      const result = await scriptForRequest(scriptStore, {
        request,
        config,
        now: Math.floor(now() / 1000),
        baseUrl,
        clientIp,
      });
      const fields = Object.assign(c.get("logFields"), result.logFields);
      if (clientIp !== undefined) fields.client = clientIp;
      // HEAD (a monitor, curl -I) boots nothing: it is not in the node's boot history.
      if (c.req.method !== "HEAD") {
        recordBoot(c, result.logFields, new Date(now()), clientIp);
        if (result.plan.kind === "unknown") {
          recordDiscoveryInBackground(c, deps, request, new Date(now()), clientIp);
        }
      }
      // A Response made directly: c.body with two headers builds a Headers object per script,
      // which the Node adapter then has to read back; plain headers pass straight through.
      return new Response(result.script, { status: 200, headers: SCRIPT_HEADERS });
    } catch (error) {
      return scriptErrorResponse(c, error, unavailableScript, failedScript);
    }
  });

  return app;
}
