import { type Context, Hono } from "hono";
import {
  ARTIFACT_CONTENT_TYPE,
  artifactCacheKey,
  artifactContentId,
  artifactServer,
  openOrigin,
  verifyArtifactUrl,
} from "../../../shared/artifacts/index.ts";
import { baseUrlFromRequest } from "../../../shared/boot/index.ts";
import { startFill } from "../../../shared/cache/index.ts";
import type { RouteDeps } from "../../../shared/http/compose.ts";
import {
  artifactErrorResponse,
  RETRY_AFTER_SECONDS,
  textResponse,
} from "../../../shared/http/responses.ts";
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
  const signingKey = config.artifacts.signing_key;
  const keys = { current: signingKey ?? "", previous: config.artifacts.previous_signing_key };
  const cache = deps.cache;
  // The same fill services (coordinator, origin, tee bounds) as the streaming artifact route.
  const server = cache === undefined ? undefined : artifactServer({ ...deps, cache });

  const app = new Hono<AppEnv>();
  app.all("/v1/artifacts/*", async (c) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      return textResponse(405, "method not allowed", { Allow: "GET, HEAD" });
    }
    if (signingKey === undefined) return textResponse(404, "artifact URLs are not enabled");
    const url = new URL(c.req.url);
    const nowSeconds = Math.floor(now() / 1000);
    const check = verifyArtifactUrl(url.pathname, url.searchParams, keys, nowSeconds, method);
    const fields = c.get("logFields");
    if (!check.ok) {
      fields.refused = check.reason;
      return textResponse(check.status, check.reason);
    }
    fields.image = check.imageId;
    fields.content_id = check.contentId;
    if (check.signedWith === "previous") fields.signed_with = "previous";
    let base: string;
    try {
      base = baseUrlFromRequest(config, url);
    } catch (error) {
      return textResponse(400, error instanceof Error ? error.message : "bad Host");
    }
    try {
      const image = (await store.getImages([check.imageId])).get(check.imageId);
      if (image === undefined) return textResponse(404, `unknown image ${check.imageId}`);
      if (artifactContentId(image, config.swift.container) !== check.contentId) {
        return textResponse(410, "the image's content has changed; fetch a fresh boot script");
      }
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

/** Lambda's stream handler awaits work handed to waitUntil after the response has ended. */
function keepAlive(c: Context<AppEnv>, done: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // No execution context: the fill simply runs on.
  }
}
