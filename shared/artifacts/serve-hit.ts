import type { CachedObject } from "../cache/types.ts";
import {
  type ArtifactAnswer,
  type ArtifactRequest,
  type ArtifactServer,
  headersFor,
  notModifiedAnswer,
  unsatisfiable,
  whole,
} from "./answer.ts";
import { notModified, rangeApplies, type Validators } from "./conditional.ts";
import { type RangeSpec, resolveRange } from "./range.ts";

/**
 * Serves `key` from the cache, or returns undefined on a miss. `known` skips the HEAD when the
 * caller has just learnt the object's metadata.
 */
export async function serveHit(
  server: ArtifactServer,
  req: ArtifactRequest,
  spec: RangeSpec,
  known?: CachedObject,
): Promise<ArtifactAnswer | undefined> {
  const { cache } = server;
  const needsMetadata =
    req.method === "HEAD" ||
    spec.kind !== "none" ||
    req.headers.ifModifiedSince != null ||
    server.redirect !== undefined;
  if (!needsMetadata && known === undefined) {
    const read = await cache.get(req.key);
    if (read === undefined) return undefined;
    return whole(req, read.object, read.body);
  }
  const object = known ?? (await cache.head(req.key));
  if (object === undefined) return undefined;
  const validators: Validators = { etag: req.etag, lastModified: object.lastModified };
  if (notModified(null, req.headers.ifModifiedSince, validators)) {
    return notModifiedAnswer(req, object.lastModified);
  }
  const redirect = server.redirect;
  if (
    redirect !== undefined &&
    req.method === "GET" &&
    cache.presignGet !== undefined &&
    object.size >= redirect.minBytes
  ) {
    const location = await cache.presignGet(req.key, redirect.ttlSeconds);
    return {
      status: 302,
      headers: { Location: location, "Cache-Control": "no-store" },
      body: null,
      source: "redirect",
      bytes: 0,
    };
  }
  const resolved = rangeApplies(req.headers.ifRange, validators)
    ? resolveRange(spec, object.size)
    : ({ kind: "whole" } as const);
  if (resolved.kind === "unsatisfiable") return unsatisfiable(object.size);
  if (req.method === "HEAD") {
    return {
      status: 200,
      headers: headersFor(req, object.size, object.lastModified),
      body: null,
      source: "hit",
      bytes: 0,
    };
  }
  const range = resolved.kind === "partial" ? resolved.range : undefined;
  const read = await cache.get(req.key, range);
  if (read === undefined) return undefined;
  if (range === undefined) return whole(req, read.object, read.body);
  const length = range.end - range.start + 1;
  return {
    status: 206,
    headers: {
      ...headersFor(req, length, read.object.lastModified),
      "Content-Range": `bytes ${range.start}-${range.end}/${read.object.size}`,
    },
    body: read.body,
    source: "hit",
    bytes: length,
  };
}
