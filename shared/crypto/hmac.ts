/**
 * HMAC for temp URL and artifact URL signatures.
 *
 * node:crypto is used where it exists (Node, and Workers with nodejs_compat): it is synchronous
 * and several times faster than Web Crypto for short messages. It is looked up through
 * `process.getBuiltinModule` rather than imported, so this module also loads on runtimes without
 * it, which fall back to Web Crypto (async).
 */
import { nodeCrypto } from "./node-crypto.ts";

export type HmacAlgorithm = "sha1" | "sha256" | "sha512";

/** HMAC digest, synchronously. Throws where node:crypto is missing (use hmacAsync there). */
export function hmacSync(algorithm: HmacAlgorithm, key: string, message: string): Uint8Array {
  const node = nodeCrypto();
  if (node === undefined) throw new Error("node:crypto is not available; use hmacAsync");
  return node.createHmac(algorithm, key).update(message, "utf8").digest();
}

const WEB_NAMES: Record<HmacAlgorithm, string> = {
  sha1: "SHA-1",
  sha256: "SHA-256",
  sha512: "SHA-512",
};
const encoder = new TextEncoder();

/** HMAC digest on any runtime. Resolves at once where node:crypto exists. */
export async function hmacAsync(
  algorithm: HmacAlgorithm,
  key: string,
  message: string,
): Promise<Uint8Array> {
  if (nodeCrypto() !== undefined) return hmacSync(algorithm, key, message);
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: WEB_NAMES[algorithm] },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message)));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const ab = encoder.encode(a);
  const bb = encoder.encode(b);
  if (ab.length !== bb.length) return false;
  const node = nodeCrypto();
  if (node !== undefined) return node.timingSafeEqual(ab, bb);
  let diff = 0;
  for (let i = 0; i < ab.length; i++) diff |= (ab[i] as number) ^ (bb[i] as number);
  return diff === 0;
}
