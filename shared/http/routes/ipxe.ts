import { Hono } from "hono";
import { baseUrlFromRequest, InvalidBaseUrlError } from "../../boot/base-url.ts";
import { CacheUnavailableError } from "../../cache/types.ts";
import { binaryResponse, PatchedBinaries } from "../../ipxe-binaries/serve.ts";
import { chainUrlFor, chainUrlProblem } from "../../ipxe-binaries/slot.ts";
import { ipxeTarget } from "../../ipxe-binaries/targets.ts";
import type { RouteDeps } from "../compose.ts";
import { textResponse } from "../responses.ts";
import type { AppEnv } from "../types.ts";

/**
 * Firmware may keep a binary a minute; after that it asks again (a 304 when nothing changed), so a
 * new public URL or a republished build reaches machines quickly.
 */
const CACHE_CONTROL = "public, max-age=60";

/**
 * `GET`/`HEAD /ipxe/<name>`: swiftboot's own iPXE builds (`swiftboot ipxe build` + `publish`),
 * with this deployment's chain URL (`<public URL>/boot.ipxe`) filled into their embedded script.
 * Unsigned: firmware (UEFI HTTP Boot, PXE) cannot sign a request. ETag, Last-Modified, Range and
 * the conditional headers behave as on the artifact route.
 */
export function ipxeRoutes(deps: RouteDeps) {
  const binaries = deps.cache === undefined ? undefined : new PatchedBinaries(deps.cache);
  const app = new Hono<AppEnv>();
  app.all("/ipxe/:name", async (c) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      return textResponse(405, "method not allowed", { Allow: "GET, HEAD" });
    }
    const name = c.req.param("name");
    if (ipxeTarget(name) === undefined) return textResponse(404, "no such iPXE binary");
    if (binaries === undefined) {
      return textResponse(503, "no artifact cache is configured on this server");
    }
    let chainUrl: string;
    try {
      chainUrl = chainUrlFor(baseUrlFromRequest(deps.config, c.req.url));
    } catch (error) {
      if (error instanceof InvalidBaseUrlError) return textResponse(error.status, error.message);
      throw error;
    }
    // ipxe.public_url is checked when the configuration loads; a Host header is checked here.
    const problem = chainUrlProblem(chainUrl);
    if (problem !== undefined) {
      return textResponse(400, `the chain URL built from this request ${problem}`);
    }
    c.get("logFields").ipxe_binary = name;
    try {
      const binary = await binaries.get(name, chainUrl);
      if (binary === undefined) {
        return textResponse(404, `${name} is not published (swiftboot ipxe publish)`);
      }
      return binaryResponse(c.req.raw, binary, CACHE_CONTROL);
    } catch (error) {
      if (error instanceof CacheUnavailableError) {
        return textResponse(503, "the artifact cache is unavailable; retry", {
          "Retry-After": "5",
        });
      }
      throw error;
    }
  });
  return app;
}
