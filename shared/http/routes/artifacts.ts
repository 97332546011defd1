import { type Context, Hono } from "hono";
import {
  artifactCacheKey,
  artifactContentId,
  artifactEtag,
  artifactServer,
  serveArtifact,
  verifyArtifactUrl,
} from "../../artifacts/index.ts";
import { artifactErrorResponse, textResponse } from "../responses.ts";
import type { AppDeps, AppEnv } from "../types.ts";

/**
 * `GET`/`HEAD /v1/artifacts/<imageId>/<contentId>/<fileName>?expires=&sig=`: the kernel and
 * ramdisk URLs of cache-mode scripts. Checks the signature, finds the image, and serves it from
 * the artifact cache, filling the cache from the image's origin on a miss (shared/artifacts/serve.ts).
 *
 * Answers: 401/403 (signature missing, malformed, expired / bad), 404 (unknown image), 410 (the
 * image's content changed since the URL was minted: a fresh script has the new URL), 503 (store
 * or cache unreachable, with Retry-After; or no cache configured, without), 502 (origin failed,
 * with Retry-After, which iPXE honours).
 */
export function artifactRoutes(
  deps: Required<Pick<AppDeps, "config" | "store" | "now">> & AppDeps,
) {
  const { config, store, now } = deps;
  const signingKey = config.artifacts.signing_key;
  const previousKey = config.artifacts.previous_signing_key;
  const defaultContainer = config.swift.container;
  const server =
    deps.cache === undefined ? undefined : artifactServer({ ...deps, cache: deps.cache });

  const app = new Hono<AppEnv>();
  app.all("/v1/artifacts/*", async (c) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      return textResponse(405, "method not allowed", { Allow: "GET, HEAD" });
    }
    if (signingKey === undefined) return textResponse(404, "artifact URLs are not enabled");
    const url = new URL(c.req.url);
    const nowSeconds = Math.floor(now() / 1000);
    const keys = { current: signingKey, previous: previousKey };
    const check = verifyArtifactUrl(url.pathname, url.searchParams, keys, nowSeconds, method);
    const fields = c.get("logFields");
    if (!check.ok) {
      fields.refused = check.reason;
      return textResponse(check.status, check.reason);
    }
    fields.image = check.imageId;
    fields.content_id = check.contentId;
    // Until no request shows "previous", the retired key is still in use (docs/operations.md).
    if (check.signedWith === "previous") fields.signed_with = "previous";

    try {
      const image = (await store.getImages([check.imageId])).get(check.imageId);
      if (image === undefined) return textResponse(404, `unknown image ${check.imageId}`);
      if (artifactContentId(image, defaultContainer) !== check.contentId) {
        return textResponse(410, "the image's content has changed; fetch a fresh boot script");
      }
      if (server === undefined) {
        fields.cache = "none";
        return textResponse(503, "no artifact cache is configured on this server");
      }
      const answer = await serveArtifact(server, {
        method,
        image,
        key: artifactCacheKey(image.id, check.contentId),
        etag: artifactEtag(image, check.contentId),
        headers: {
          range: c.req.header("range"),
          ifRange: c.req.header("if-range"),
          ifNoneMatch: c.req.header("if-none-match"),
          ifModifiedSince: c.req.header("if-modified-since"),
        },
        // Immutable content, but only for as long as the URL is valid; never in shared caches.
        cacheControl: `private, max-age=${Math.max(0, check.expires - nowSeconds)}`,
        now: nowSeconds,
        signal: c.req.raw.signal,
        keepAlive: (done) => keepAlive(c, done),
      });
      fields.cache = answer.source;
      fields.bytes = answer.bytes;
      if (answer.note !== undefined) fields.cache_note = answer.note;
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    } catch (error) {
      return artifactErrorResponse(c, error);
    }
  });
  return app;
}

/** Workers freeze a request once it has answered unless handed its leftover work. */
function keepAlive(c: Context<AppEnv>, done: Promise<unknown>): void {
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    return; // Node and Lambda: the fill simply runs on.
  }
  ctx.waitUntil(done);
}
