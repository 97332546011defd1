import { assertCacheKey } from "../../../shared/cache/keys.ts";
import { createSha256 } from "../../../shared/cache/sha256.ts";
import {
  type ArtifactCache,
  type ByteRange,
  type CachedObject,
  type CacheRead,
  CacheWriteError,
  type CacheWriteOptions,
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
    const bytes = await collect(body, options);
    const sha256 = createSha256();
    sha256.update(bytes);
    const digest = sha256.digestHex();
    if (options.sha256 !== undefined && digest !== options.sha256.toLowerCase()) {
      throw new CacheWriteError(
        `sha256 of ${key} is ${digest}, expected ${options.sha256}`,
        "sha256-mismatch",
      );
    }
    const object: CachedObject = {
      key,
      size: bytes.byteLength,
      etag: `"${digest}"`,
      lastModified: new Date(),
      contentType: options.contentType,
      sha256: digest,
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

/** Reads `body` whole, enforcing `size` and the signal as an adapter must. */
async function collect(
  body: ReadableStream<Uint8Array>,
  options: CacheWriteOptions,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  const fail = async (error: CacheWriteError): Promise<never> => {
    await reader.cancel(error).catch(() => {});
    throw error;
  };
  const signal = options.signal;
  const aborted = new Promise<"aborted">((resolve) => {
    if (signal?.aborted) resolve("aborted");
    signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array> | "aborted";
    try {
      result = signal?.aborted ? "aborted" : await Promise.race([reader.read(), aborted]);
    } catch (error) {
      throw new CacheWriteError("source stream failed", "source-failed", { cause: error });
    }
    if (result === "aborted")
      return fail(new CacheWriteError("write aborted", "aborted", { cause: signal?.reason }));
    if (result.done) break;
    length += result.value.byteLength;
    if (options.size !== undefined && length > options.size) {
      return fail(new CacheWriteError(`more than ${options.size} bytes`, "size-mismatch"));
    }
    chunks.push(result.value);
  }
  if (options.size !== undefined && length !== options.size) {
    throw new CacheWriteError(`${length} bytes, expected ${options.size}`, "size-mismatch");
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
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
