import { Hono } from "hono";
import {
  ARTIFACT_CONTENT_TYPE,
  artifactCacheKey,
  artifactServer,
  openOrigin,
} from "../../../shared/artifacts/index.ts";
import { baseUrlFromRequest } from "../../../shared/boot/index.ts";
import { startFill } from "../../../shared/cache/index.ts";
import type { RouteDeps } from "../../../shared/http/compose.ts";
import {
  artifactErrorResponse,
  RETRY_AFTER_SECONDS,
  textResponse,
} from "../../../shared/http/responses.ts";
import {
  artifactImage,
  keepAlive,
  verifyArtifactRequest,
} from "../../../shared/http/routes/artifact-request.ts";
import type { AppEnv } from "../../../shared/http/types.ts";
import { type CloudFrontKey, signCloudFrontUrl } from "./cloudfront-url.ts";

/**
 * `GET`/`HEAD /v1/artifacts/<imageId>/<contentId>/<fileName>?expires=&sig=` on AWS behind the
 * stack's CloudFront front: swiftboot's signature is checked exactly as by the streaming route
 * (shared/http/routes/artifacts.ts), then the answer is a 302 to a short-lived CloudFront signed
 * URL of the cached object (`<front>/artifacts/<imageId>/<contentId>`), which the same
 * distribution serves from the private bucket at CDN speed, whatever its size: no byte passes
 * through Lambda, so its 200 MB and 2 MB/s streaming limits do not apply.
 *
 * A miss fills the cache first (from the image's origin, under the fill lock, as the warmer
 * does), waiting up to `cache.fill_wait_ms`; a fill that takes longer goes on in the background
 * and the request is answered 503 with Retry-After, which iPXE retries by itself until the object
 * is there. A fill that fails is a 502, as on the streaming route.
 */
export function signedArtifactRoutes(deps: RouteDeps, key: CloudFrontKey): Hono<AppEnv> {
  const { config, store, now } = deps;
  const cache = deps.cache;
  // The same fill services (coordinator, origin, tee bounds) as the streaming artifact route.
  const server = cache === undefined ? undefined : artifactServer({ ...deps, cache });

  const app = new Hono<AppEnv>();
  app.all("/v1/artifacts/*", async (c) => {
    // Checked exactly as by the streaming route, before anything else.
    const verified = verifyArtifactRequest(c, config, now);
    if (verified instanceof Response) return verified;
    const { url, nowSeconds, check, fields } = verified;
    let base: string;
    try {
      base = baseUrlFromRequest(config, url);
    } catch (error) {
      return textResponse(400, error instanceof Error ? error.message : "bad Host");
    }
    try {
      const image = await artifactImage(store, config, check);
      if (image instanceof Response) return image;
      if (server === undefined) {
        fields.cache = "none";
        return textResponse(503, "no artifact cache is configured on this server");
      }
      const cacheKey = artifactCacheKey(image.id, check.contentId);
      let source = "hit";
      if ((await server.cache.head(cacheKey)) === undefined) {
        const { cache, coordinator, origin, tee } = server;
        const outcome = await coordinator.miss(cacheKey, {
          withClient: false,
          start: async () => {
            const opened = await openOrigin(image, origin, nowSeconds);
            const size = image.size ?? opened.size;
            return startFill({
              cache,
              key: cacheKey,
              origin: opened,
              expected: {
                ...(size === undefined ? {} : { size }),
                ...(image.sha256 === undefined ? {} : { sha256: image.sha256 }),
              },
              contentType: ARTIFACT_CONTENT_TYPE,
              withClient: false,
              highWaterMark: tee.highWaterMark,
              stallMs: tee.stallMs,
            });
          },
          signal: c.req.raw.signal,
          keepAlive: (done) => keepAlive(c, done),
        });
        if (outcome.kind === "failed") throw outcome.error;
        if (outcome.kind !== "cached") {
          const why = outcome.kind === "bypass" ? outcome.why : outcome.kind;
          fields.cache = "filling";
          fields.cache_note = why;
          return textResponse(
            503,
            `the artifact is being cached (${why}); retry in ${RETRY_AFTER_SECONDS} s`,
            { "Retry-After": String(RETRY_AFTER_SECONDS) },
          );
        }
        source = "wait";
      }
      const expires = nowSeconds + config.front.url_duration;
      const location = signCloudFrontUrl(`${base}/${cacheKey}`, key, expires);
      fields.cache = source;
      fields.redirect = "cloudfront";
      return new Response(null, {
        status: 302,
        headers: { Location: location, "Cache-Control": "no-store" },
      });
    } catch (error) {
      return artifactErrorResponse(c, error);
    }
  });
  return app;
}
