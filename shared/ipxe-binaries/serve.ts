import { notModified, rangeApplies, type Validators } from "../artifacts/conditional.ts";
import { parseRangeSpec, resolveRange } from "../artifacts/range.ts";
import { createSha256 } from "../cache/sha256.ts";
import type { ArtifactCache, CachedObject } from "../cache/types.ts";
import { findChainUrlSlots, patchChainUrl } from "./slot.ts";

/** Where `swiftboot ipxe publish` puts a binary in the artifact store. */
export function ipxeBinaryKey(name: string): string {
  return `ipxe/${name}`;
}

/** Where `swiftboot ipxe publish` puts the build's manifest (read by operators, not served). */
export const IPXE_MANIFEST_KEY = "ipxe/manifest.json";

type Patched = { bytes: Uint8Array<ArrayBuffer>; validators: Validators };

/** Patched binaries kept per instance: a few per deployment (one per name and chain URL). */
const MEMO_ENTRIES = 16;

/**
 * The bytes of a published binary with this deployment's chain URL filled in. A binary is at most
 * a few MB and the same for every machine, so it is read whole once, patched once, and kept in
 * memory keyed by the stored object's ETag and the chain URL; a republished binary has a new
 * ETag. A binary whose URL was built in (BIOS) has no slot and is served as stored.
 */
export class PatchedBinaries {
  readonly #memo = new Map<string, Promise<Patched>>();

  constructor(private readonly cache: ArtifactCache) {}

  /** Undefined when the binary was never published. */
  async get(name: string, chainUrl: string): Promise<Patched | undefined> {
    const key = ipxeBinaryKey(name);
    const object = await this.cache.head(key);
    if (object === undefined) return undefined;
    const memoKey = `${key}\n${object.etag}\n${chainUrl}`;
    let entry = this.#memo.get(memoKey);
    if (entry === undefined) {
      entry = this.#load(key, object, chainUrl);
      this.#memo.set(memoKey, entry);
      // A failed read is not remembered: the next request tries again.
      entry.catch(() => this.#memo.delete(memoKey));
      if (this.#memo.size > MEMO_ENTRIES) {
        const oldest = this.#memo.keys().next().value;
        if (oldest !== undefined) this.#memo.delete(oldest);
      }
    }
    return entry;
  }

  async #load(key: string, object: CachedObject, chainUrl: string): Promise<Patched> {
    const read = await this.cache.get(key);
    if (read === undefined) throw new Error(`${key} vanished while being read`);
    const stored = new Uint8Array(await new Response(read.body).arrayBuffer());
    const bytes = findChainUrlSlots(stored).length === 0 ? stored : patchChainUrl(stored, chainUrl);
    const hash = createSha256();
    hash.update(bytes);
    return {
      bytes,
      validators: { etag: `"${hash.digestHex()}"`, lastModified: object.lastModified },
    };
  }
}

/** 200, 206, 304 or 416 for one in-memory binary, with the artifact route's headers. */
export function binaryResponse(
  request: Request,
  { bytes, validators }: Patched,
  cacheControl: string,
): Response {
  const headers: Record<string, string> = {
    ETag: validators.etag,
    "Cache-Control": cacheControl,
  };
  if (validators.lastModified !== undefined) {
    headers["Last-Modified"] = validators.lastModified.toUTCString();
  }
  const h = request.headers;
  if (notModified(h.get("If-None-Match"), h.get("If-Modified-Since"), validators)) {
    return new Response(null, { status: 304, headers });
  }
  headers["Content-Type"] = "application/octet-stream";
  headers["Accept-Ranges"] = "bytes";
  const spec = rangeApplies(h.get("If-Range"), validators)
    ? parseRangeSpec(h.get("Range"))
    : parseRangeSpec(undefined);
  const range = resolveRange(spec, bytes.length);
  const head = request.method === "HEAD";
  if (range.kind === "unsatisfiable") {
    return new Response(null, {
      status: 416,
      headers: { ...headers, "Content-Range": `bytes */${bytes.length}` },
    });
  }
  if (range.kind === "partial") {
    const { start, end } = range.range;
    headers["Content-Range"] = `bytes ${start}-${end}/${bytes.length}`;
    headers["Content-Length"] = String(end - start + 1);
    return new Response(head ? null : bytes.slice(start, end + 1), { status: 206, headers });
  }
  headers["Content-Length"] = String(bytes.length);
  return new Response(head ? null : bytes, { status: 200, headers });
}
