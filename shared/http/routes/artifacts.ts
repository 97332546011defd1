import { Hono } from "hono";
import {
  artifactCacheKey,
  artifactEtag,
  artifactServer,
  serveArtifact,
} from "../../artifacts/index.ts";
import { artifactErrorResponse, textResponse } from "../responses.ts";
import type { AppDeps, AppEnv } from "../types.ts";
import { artifactImage, keepAlive, verifyArtifactRequest } from "./artifact-request.ts";

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
  const server =
    deps.cache === undefined ? undefined : artifactServer({ ...deps, cache: deps.cache });

  const app = new Hono<AppEnv>();
  app.all("/v1/artifacts/*", async (c) => {
    const verified = verifyArtifactRequest(c, config, now);
    if (verified instanceof Response) return verified;
    const { method, nowSeconds, check, fields } = verified;
    try {
      const image = await artifactImage(store, config, check);
      if (image instanceof Response) return image;
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
