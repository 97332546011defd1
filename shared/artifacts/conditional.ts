/**
 * Conditional requests (RFC 9110 §13) for one immutable representation: If-None-Match (weak
 * comparison) before If-Modified-Since, and If-Range deciding whether Range applies.
 */
export interface Validators {
  /** Quoted strong ETag. */
  etag: string;
  /** Undefined when not known yet (a miss): date conditions then never match. */
  lastModified?: Date;
}

/** True when the client's copy is current and 304 is the answer. */
export function notModified(
  ifNoneMatch: string | null | undefined,
  ifModifiedSince: string | null | undefined,
  v: Validators,
): boolean {
  if (ifNoneMatch !== null && ifNoneMatch !== undefined) {
    // When If-None-Match is present, If-Modified-Since is ignored (§13.2.2).
    return (
      ifNoneMatch.trim() === "*" || etagList(ifNoneMatch).some((t) => opaque(t) === opaque(v.etag))
    );
  }
  if (ifModifiedSince === null || ifModifiedSince === undefined || v.lastModified === undefined) {
    return false;
  }
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false;
  return seconds(v.lastModified.getTime()) <= seconds(since);
}

/** Whether a Range header may be honoured given If-Range (strong comparison, exact date). */
export function rangeApplies(ifRange: string | null | undefined, v: Validators): boolean {
  if (ifRange === null || ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === v.etag;
  if (value.startsWith("W/")) return false;
  const date = Date.parse(value);
  return (
    v.lastModified !== undefined &&
    !Number.isNaN(date) &&
    seconds(date) === seconds(v.lastModified.getTime())
  );
}

function etagList(header: string): string[] {
  return header
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

function opaque(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

/** HTTP dates have whole seconds. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
