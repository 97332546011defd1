import { hmacSync, timingSafeEqualStrings, toHex } from "../crypto/index.ts";
import { ID_PATTERN, type Image } from "../model/index.ts";

/**
 * swiftboot's own artifact URLs (cache mode):
 *
 *   <publicUrl>/v1/artifacts/<imageId>/<contentId>/<fileName>?expires=<unix s>&sig=<hex>
 *
 * `sig` is HMAC-SHA256 with `artifacts.signing_key` over `GET\n<expires>\n<path>`, the path being
 * the canonical form below (the query is not part of it). A GET signature also authorises HEAD.
 *
 * Everything in the URL is hex, digits or `[A-Za-z0-9._-]`, except a `:` in an image id, which
 * is written `%3A`; iPXE re-encodes `:` the same way, so the URL reaches the server as written.
 * Verification still decodes and re-encodes each segment, so a proxy that normalises escapes
 * cannot break a valid signature.
 */
export const ARTIFACT_PATH_PREFIX = "/v1/artifacts/";

const CONTENT_ID = /^[0-9a-f]{32}$/;
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
/** Whole seconds, no sign, no leading zero: exactly one spelling per instant. */
const EXPIRES = /^[1-9][0-9]{0,11}$/;
/** A fixed key turns HMAC into a stable hash; the content id is not a secret. */
const CONTENT_ID_KEY = "swiftboot content id v1";

/**
 * A short stable id for an image's bytes, so the artifact cache can key on it and a changed image
 * gets a new URL: the first 128 bits of the image's sha256 when it is known, else a hash of where
 * the bytes come from and their size. Without a sha256, an object replaced in place by one of the
 * same size keeps its id (and a cached copy): give images a sha256 to rule that out.
 */
export function artifactContentId(image: Image, defaultContainer: string | undefined): string {
  if (image.sha256 !== undefined) return image.sha256.slice(0, 32);
  const location = JSON.stringify([
    image.origin ?? null,
    image.swift.container ?? defaultContainer ?? null,
    image.swift.object,
    image.size ?? null,
  ]);
  let id = contentIds.get(location);
  if (id === undefined) {
    id = toHex(hmacSync("sha256", CONTENT_ID_KEY, location)).slice(0, 32);
    // A memo, not state: the same location always hashes the same. Bounded by starting over.
    if (contentIds.size >= MAX_MEMOIZED_CONTENT_IDS) contentIds.clear();
    contentIds.set(location, id);
  }
  return id;
}

/** Image records arrive fresh from the store on every request, so the memo is keyed by value. */
const contentIds = new Map<string, string>();
const MAX_MEMOIZED_CONTENT_IDS = 4096;

/** The object's basename reduced to `[A-Za-z0-9._-]`, at most 64 characters: the URL's last segment. */
export function artifactFileName(image: Image): string {
  const object = image.swift.object;
  const base = object.slice(object.lastIndexOf("/") + 1);
  const safe = base
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^\.+/, "")
    .slice(0, 64);
  return safe === "" || safe === "_" ? "image" : safe;
}

/** `/v1/artifacts/<imageId>/<contentId>/<fileName>`, canonically encoded. */
export function artifactPath(imageId: string, contentId: string, fileName: string): string {
  return `${ARTIFACT_PATH_PREFIX}${imageId.replaceAll(":", "%3A")}/${contentId}/${fileName}`;
}

export interface ArtifactUrlRequest {
  /** `http://host[:port]`, without a trailing slash. */
  baseUrl: string;
  imageId: string;
  contentId: string;
  fileName: string;
  /** Absolute Unix time in seconds. */
  expires: number;
  key: string;
}

export function signArtifactUrl(req: ArtifactUrlRequest): string {
  const path = artifactPath(req.imageId, req.contentId, req.fileName);
  return signArtifactPath(req.baseUrl, path, req.expires, req.key);
}

/** signArtifactUrl for a path already built by artifactPath (callers that keep it per image). */
export function signArtifactPath(
  baseUrl: string,
  path: string,
  expires: number,
  key: string,
): string {
  const e = String(expires);
  return `${baseUrl}${path}?expires=${e}&sig=${memoizedSignature(key, e, path)}`;
}

/**
 * Signatures already computed, by key then `<expires>\n<path>`: expiries are whole seconds and
 * every machine deploying one image gets the same path, so a rack booting at once asks for the
 * same few signatures hundreds of times a second. A memo, not state (the same inputs always sign
 * the same), bounded by starting over; only signing uses it, verification always recomputes.
 */
const signatures = new Map<string, Map<string, string>>();
const MAX_MEMOIZED_SIGNATURES = 4096;

function memoizedSignature(key: string, expires: string, path: string): string {
  let byInput = signatures.get(key);
  if (byInput === undefined) {
    if (signatures.size >= 4) signatures.clear(); // a rotated key's memo goes with it
    byInput = new Map();
    signatures.set(key, byInput);
  }
  const input = `${expires}\n${path}`;
  let memo = byInput.get(input);
  if (memo === undefined) {
    memo = artifactSignature(key, expires, path);
    if (byInput.size >= MAX_MEMOIZED_SIGNATURES) byInput.clear();
    byInput.set(input, memo);
  }
  return memo;
}

function artifactSignature(key: string, expires: string, path: string): string {
  return toHex(hmacSync("sha256", key, `GET\n${expires}\n${path}`));
}

export type ArtifactUrlCheck =
  | {
      ok: true;
      imageId: string;
      contentId: string;
      fileName: string;
      expires: number;
      /** Which key signed it: the current one, or the one a rotation retired. */
      signedWith: "current" | "previous";
    }
  | { ok: false; status: 401 | 403; reason: ArtifactUrlRefusal };

/** The keys an artifact URL may be signed with: `artifacts.signing_key`, and during a rotation
 * `artifacts.previous_signing_key`. A bare string is the current key alone. */
export type ArtifactKeys = string | { current: string; previous?: string | undefined };

/**
 * 401 when the URL lacks a usable signature or has run out (a fresh script fixes it), 403 when
 * it was never valid for this request.
 */
export type ArtifactUrlRefusal =
  | "method not allowed"
  | "malformed path"
  | "missing signature"
  | "malformed signature"
  | "malformed expiry"
  | "expired"
  | "bad signature";

export interface QueryParams {
  getAll(name: string): string[];
}

/**
 * Checks an artifact request. `pathname` is the URL's path as received (still percent-encoded),
 * `now` is Unix time in seconds. Only GET and HEAD are ever allowed. With a previous key, a URL
 * signed with either key is accepted until it expires, so a key rotation costs no retries.
 */
export function verifyArtifactUrl(
  pathname: string,
  searchParams: QueryParams,
  keys: ArtifactKeys,
  now: number,
  method: string,
): ArtifactUrlCheck {
  if (method !== "GET" && method !== "HEAD") return refuse(403, "method not allowed");

  const segments = parsePath(pathname);
  if (segments === undefined) return refuse(403, "malformed path");
  const [imageId, contentId, fileName] = segments;

  const sigs = searchParams.getAll("sig");
  if (sigs.length === 0) return refuse(401, "missing signature");
  const sig = sigs[0] as string;
  if (sigs.length > 1 || !SIGNATURE.test(sig)) return refuse(401, "malformed signature");

  const expiries = searchParams.getAll("expires");
  const expires = expiries[0];
  if (expiries.length !== 1 || expires === undefined || !EXPIRES.test(expires)) {
    return refuse(401, "malformed expiry");
  }
  if (now > Number(expires)) return refuse(401, "expired");

  const { current, previous } = typeof keys === "string" ? { current: keys } : keys;
  const path = artifactPath(imageId, contentId, fileName);
  // Both keys are always tried, so the time taken does not say which one signed the URL.
  const byCurrent = timingSafeEqualStrings(sig, artifactSignature(current, expires, path));
  const byPrevious =
    previous !== undefined &&
    timingSafeEqualStrings(sig, artifactSignature(previous, expires, path));
  if (!byCurrent && !byPrevious) return refuse(403, "bad signature");
  const signedWith = byCurrent ? "current" : "previous";
  return { ok: true, imageId, contentId, fileName, expires: Number(expires), signedWith };
}

function refuse(status: 401 | 403, reason: ArtifactUrlRefusal): ArtifactUrlCheck {
  return { ok: false, status, reason };
}

function parsePath(pathname: string): [string, string, string] | undefined {
  if (!pathname.startsWith(ARTIFACT_PATH_PREFIX)) return undefined;
  const parts = pathname.slice(ARTIFACT_PATH_PREFIX.length).split("/");
  if (parts.length !== 3) return undefined;
  const decoded: string[] = [];
  for (const part of parts) {
    try {
      decoded.push(decodeURIComponent(part));
    } catch {
      return undefined;
    }
  }
  const [imageId, contentId, fileName] = decoded as [string, string, string];
  if (!ID_PATTERN.test(imageId) || !CONTENT_ID.test(contentId) || !FILE_NAME.test(fileName)) {
    return undefined;
  }
  return [imageId, contentId, fileName];
}
