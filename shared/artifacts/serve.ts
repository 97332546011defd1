import type { FillCoordinator, MissOutcome } from "../cache/coalesce.ts";
import { type Fill, startFill } from "../cache/fill.ts";
import type { ArtifactCache, CachedObject } from "../cache/types.ts";
import { sliceStream, verifiedStream } from "../cache/verify.ts";
import type { Image } from "../model/index.ts";
import { notModified, rangeApplies, type Validators } from "./conditional.ts";
import { type OriginSettings, openOrigin } from "./origin.ts";
import { parseRangeSpec, type RangeSpec, resolveRange } from "./range.ts";

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
 */
export const ARTIFACT_CONTENT_TYPE = "application/octet-stream";

export interface ArtifactServer {
  cache: ArtifactCache;
  coordinator: FillCoordinator;
  origin: OriginSettings;
  /** Bytes each branch of a fill's tee may queue, and the stall limit (see tee.ts). */
  tee: { highWaterMark: number; stallMs: number };
  redirect?: { ttlSeconds: number; minBytes: number };
}

export interface ArtifactRequest {
  method: "GET" | "HEAD";
  image: Image;
  key: string;
  /** The representation's ETag, known before any lookup (see artifactEtag). */
  etag: string;
  headers: {
    range?: string | null;
    ifRange?: string | null;
    ifNoneMatch?: string | null;
    ifModifiedSince?: string | null;
  };
  /** Cache-Control for successful answers. */
  cacheControl: string;
  /** Unix seconds. */
  now: number;
  signal?: AbortSignal;
  keepAlive?: (done: Promise<unknown>) => void;
}

/** hit: from the cache; fill: streamed while filling; wait: waited for a fill; origin: bypass. */
export type ArtifactSource = "hit" | "fill" | "wait" | "origin" | "record" | "redirect" | "none";

export interface ArtifactAnswer {
  status: number;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
  source: ArtifactSource;
  /** Body bytes this answer will send. */
  bytes: number;
  /** Why a miss went to the origin, or that the client left. */
  note?: string;
}

/**
 * Content-addressed, so known from the image record alone: the full sha256 when the image has
 * one (what the fs adapter reports too), else the content id.
 */
export function artifactEtag(image: Image, contentId: string): string {
  return `"${image.sha256 ?? contentId}"`;
}

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

/**
 * Serves `key` from the cache, or returns undefined on a miss. `known` skips the HEAD when the
 * caller has just learnt the object's metadata.
 */
async function serveHit(
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

function whole(
  req: ArtifactRequest,
  object: CachedObject,
  body: ReadableStream<Uint8Array>,
): ArtifactAnswer {
  return {
    status: 200,
    headers: headersFor(req, object.size, object.lastModified),
    body,
    source: "hit",
    bytes: object.size,
  };
}

/** Streams from the origin without writing (verified when whole; ranges cut from it). */
async function fromOrigin(
  server: ArtifactServer,
  req: ArtifactRequest,
  spec: RangeSpec,
  why: string,
): Promise<ArtifactAnswer> {
  const origin = await openOrigin(req.image, server.origin, req.now, req.signal);
  const size = req.image.size ?? origin.size;
  const lastModified = new Date(req.now * 1000);
  const expected = {
    ...(size === undefined ? {} : { size }),
    ...(req.image.sha256 === undefined ? {} : { sha256: req.image.sha256 }),
  };
  if (req.method === "HEAD") {
    origin.body.cancel("HEAD").catch(() => {});
    const headers = headersFor(req, size ?? 0, lastModified);
    if (size === undefined) delete headers["Content-Length"];
    return { status: 200, headers, body: null, source: "origin", bytes: 0, note: why };
  }
  if (size === undefined) {
    // Neither the record nor the origin knows the length: the one answer without one.
    const headers = headersFor(req, 0, lastModified);
    delete headers["Content-Length"];
    return {
      status: 200,
      headers,
      body: verifiedStream(origin.body, expected),
      source: "origin",
      bytes: 0,
      note: why,
    };
  }
  const resolved = rangeApplies(req.headers.ifRange, { etag: req.etag })
    ? resolveRange(spec, size)
    : ({ kind: "whole" } as const);
  if (resolved.kind === "unsatisfiable") {
    origin.body.cancel("unsatisfiable range").catch(() => {});
    return unsatisfiable(size);
  }
  if (resolved.kind === "whole") {
    return {
      status: 200,
      headers: headersFor(req, size, lastModified),
      body: verifiedStream(origin.body, expected),
      source: "origin",
      bytes: size,
      note: why,
    };
  }
  const { start, end } = resolved.range;
  return {
    status: 206,
    headers: {
      ...headersFor(req, end - start + 1, lastModified),
      "Content-Range": `bytes ${start}-${end}/${size}`,
    },
    body: sliceStream(origin.body, start, end),
    source: "origin",
    bytes: end - start + 1,
    note: why,
  };
}

function headersFor(
  req: ArtifactRequest,
  length: number,
  lastModified: Date,
): Record<string, string> {
  return {
    "Content-Type": ARTIFACT_CONTENT_TYPE,
    "Content-Length": String(length),
    "Accept-Ranges": "bytes",
    ETag: req.etag,
    "Last-Modified": lastModified.toUTCString(),
    "Cache-Control": req.cacheControl,
  };
}

function notModifiedAnswer(req: ArtifactRequest, lastModified: Date | undefined): ArtifactAnswer {
  return {
    status: 304,
    headers: {
      ETag: req.etag,
      "Cache-Control": req.cacheControl,
      ...(lastModified === undefined ? {} : { "Last-Modified": lastModified.toUTCString() }),
    },
    body: null,
    source: "none",
    bytes: 0,
  };
}

function unsatisfiable(size: number): ArtifactAnswer {
  return {
    status: 416,
    headers: { "Content-Range": `bytes */${size}`, "Cache-Control": "no-store" },
    body: null,
    source: "none",
    bytes: 0,
  };
}
