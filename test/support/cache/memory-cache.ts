import { assertCacheKey } from "../../../shared/cache/keys.ts";
import { concat, sha256Etag, verifyWrite } from "../../../shared/cache/streams.ts";
import type {
  ArtifactCache,
  ByteRange,
  CachedObject,
  CacheRead,
  CacheWriteOptions,
} from "../../../shared/cache/types.ts";

/**
 * An ArtifactCache in memory, for tests and for trying things out: it passes the contract suite,
 * but keeps whole objects in memory, so it is no production adapter.
 */
export class MemoryCache implements ArtifactCache {
  readonly #objects = new Map<string, { object: CachedObject; bytes: Uint8Array }>();

  async head(key: string): Promise<CachedObject | undefined> {
    assertCacheKey(key);
    const entry = this.#objects.get(key);
    return entry === undefined ? undefined : { ...entry.object };
  }

  async get(key: string, range?: ByteRange): Promise<CacheRead | undefined> {
    assertCacheKey(key);
    const entry = this.#objects.get(key);
    if (entry === undefined) return undefined;
    const bytes =
      range === undefined ? entry.bytes : entry.bytes.subarray(range.start, range.end + 1);
    return { object: { ...entry.object }, body: chunked(bytes, 64 * 1024) };
  }

  async put(
    key: string,
    body: ReadableStream<Uint8Array>,
    options: CacheWriteOptions,
  ): Promise<CachedObject> {
    assertCacheKey(key);
    // The adapters' own check of size, sha256 and the abort signal (shared/cache/streams.ts).
    const verified = verifyWrite(body, options);
    const bytes = await collect(verified.body);
    const summary = verified.summary();
    if (summary === undefined) throw new Error("verifyWrite closed without a summary");
    const object: CachedObject = {
      key,
      size: summary.size,
      etag: sha256Etag(summary.sha256),
      lastModified: new Date(),
      contentType: options.contentType,
      sha256: summary.sha256,
    };
    this.#objects.set(key, { object, bytes });
    return { ...object };
  }

  async delete(key: string): Promise<void> {
    assertCacheKey(key);
    this.#objects.delete(key);
  }

  /** Stored keys, for tests. */
  keys(): string[] {
    return [...this.#objects.keys()];
  }
}

/** Reads `body` whole; its errors (CacheWriteErrors from verifyWrite) propagate. */
async function collect(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  // A copy even of a single chunk: the caller may reuse its buffers after the put.
  return chunks.length === 1 ? (chunks[0] as Uint8Array).slice() : concat(chunks, length);
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}
