import type { MissOutcome } from "../cache/coalesce.ts";
import { type Fill, startFill } from "../cache/fill.ts";
import {
  ARTIFACT_CONTENT_TYPE,
  type ArtifactAnswer,
  type ArtifactRequest,
  type ArtifactServer,
  headersFor,
  notModifiedAnswer,
} from "./answer.ts";
import { notModified } from "./conditional.ts";
import { openOrigin } from "./origin.ts";
import { parseRangeSpec, type RangeSpec } from "./range.ts";
import { serveHit } from "./serve-hit.ts";
import { fromOrigin } from "./serve-origin.ts";

/**
 * Answers one artifact request from the cache, a fill, or the origin, without knowing about
 * HTTP frameworks: the route turns the answer into a Response. Throws CacheUnavailableError
 * (503) and OriginError (502); everything else is an answer.
 *
 * - GET, whole object, hit: one `cache.get`.
 * - GET, miss, size known: this request leads or follows a fill (coalesce.ts); a leader streams
 *   the fill as it is written.
 * - Range on a miss (and HEAD or GET of unknown size): the fill runs on its own; the request
 *   waits for it (up to the coalescing bound) and is then served from the cache, so a partial
 *   answer is only ever cut from verified, stored bytes.
 * - HEAD on a miss of known size: answered from the image record, without filling.
 * - Redirect mode: a hit of at least `minBytes` is answered 302 to `cache.presignGet`.
 *
 * Hits (and redirects) are answered by serve-hit.ts, bypasses by serve-origin.ts, both shaped by
 * answer.ts.
 */
export async function serveArtifact(
  server: ArtifactServer,
  req: ArtifactRequest,
): Promise<ArtifactAnswer> {
  const spec = parseRangeSpec(req.headers.range);
  // The ETag is the content's identity: a match needs no lookup at all.
  if (
    req.headers.ifNoneMatch != null &&
    notModified(req.headers.ifNoneMatch, null, { etag: req.etag })
  ) {
    return notModifiedAnswer(req, undefined);
  }

  const hit = await serveHit(server, req, spec);
  if (hit !== undefined) return hit;

  if (req.method === "HEAD" && req.image.size !== undefined) {
    return {
      status: 200,
      headers: headersFor(req, req.image.size, new Date(req.now * 1000)),
      body: null,
      source: "record",
      bytes: 0,
    };
  }

  const streamable = req.method === "GET" && spec.kind === "none";
  const outcome = await server.coordinator.miss(req.key, {
    withClient: streamable,
    start: (withClient) => start(server, req, withClient),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
    ...(req.keepAlive === undefined ? {} : { keepAlive: req.keepAlive }),
  });
  return answerMiss(server, req, spec, outcome);
}

async function answerMiss(
  server: ArtifactServer,
  req: ArtifactRequest,
  spec: RangeSpec,
  outcome: MissOutcome,
): Promise<ArtifactAnswer> {
  switch (outcome.kind) {
    case "filling": {
      const fill = outcome.fill;
      // A fill only streams to its client when the size is known.
      const size = fill.size as number;
      return {
        status: 200,
        headers: headersFor(req, size, new Date(req.now * 1000)),
        body: fill.client as ReadableStream<Uint8Array>,
        source: "fill",
        bytes: size,
      };
    }
    case "cached": {
      const answer = await serveHit(server, req, spec, outcome.object);
      if (answer !== undefined) return { ...answer, source: "wait" };
      // Evicted between the fill and this read: rare enough to send the client to the origin.
      return fromOrigin(server, req, spec, "evicted");
    }
    case "bypass":
      return fromOrigin(server, req, spec, outcome.why);
    case "failed":
      throw outcome.error;
    case "aborted":
      return {
        status: 503,
        headers: { "Cache-Control": "no-store" },
        body: null,
        source: "none",
        bytes: 0,
        note: "client-gone",
      };
  }
}

async function start(
  server: ArtifactServer,
  req: ArtifactRequest,
  withClient: boolean,
): Promise<Fill> {
  const origin = await openOrigin(req.image, server.origin, req.now);
  const size = req.image.size ?? origin.size;
  return startFill({
    cache: server.cache,
    key: req.key,
    origin,
    expected: {
      ...(size === undefined ? {} : { size }),
      ...(req.image.sha256 === undefined ? {} : { sha256: req.image.sha256 }),
    },
    contentType: ARTIFACT_CONTENT_TYPE,
    // Without a size there is no Content-Length to promise: wait and serve from the cache.
    withClient: withClient && size !== undefined,
    ...server.tee,
  });
}
