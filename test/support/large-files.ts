/**
 * Large test files, quickly: deterministic pseudo-random bytes (AES-256-CTR over zeros, keyed by
 * a seed) streamed to disk while hashed, never held in memory; about 1 GB/s here.
 */
import { createCipheriv, createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";

const BLOCK = 1024 * 1024;

/** Writes `size` bytes for `seed` to `path`; resolves with their sha256 (hex). */
export async function writePseudoRandomFile(
  path: string,
  size: number,
  seed: number,
): Promise<string> {
  const key = createHash("sha256").update(`swiftboot-test-file-${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(BLOCK);
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  for (let left = size; left > 0; left -= BLOCK) {
    const block = cipher.update(left >= BLOCK ? zeros : zeros.subarray(0, left));
    hash.update(block);
    if (!out.write(block)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return hash.digest("hex");
}

/** sha256 (hex) and length of a file, streamed. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: BLOCK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest("hex"), size };
}
