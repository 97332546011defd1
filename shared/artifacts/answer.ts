import type { FillCoordinator } from "../cache/coalesce.ts";
import type { ArtifactCache, CachedObject } from "../cache/types.ts";
import type { Image } from "../model/index.ts";
import type { OriginSettings } from "./origin.ts";

/** What serving an artifact works with, is asked and answers (serve.ts), and the answers' headers. */
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

export function headersFor(
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

export function notModifiedAnswer(
  req: ArtifactRequest,
  lastModified: Date | undefined,
): ArtifactAnswer {
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

export function unsatisfiable(size: number): ArtifactAnswer {
  return {
    status: 416,
    headers: { "Content-Range": `bytes */${size}`, "Cache-Control": "no-store" },
    body: null,
    source: "none",
    bytes: 0,
  };
}

export function whole(
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
