const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CHARS = Array.from(ALPHABET);

/** URL-safe base64 without padding: Python's `urlsafe_b64encode(b).strip('=')`. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  const full = bytes.length - (bytes.length % 3);
  let i = 0;
  for (; i < full; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      (CHARS[n >> 18] as string) + CHARS[(n >> 12) & 63] + CHARS[(n >> 6) & 63] + CHARS[n & 63];
  }
  if (i < bytes.length) {
    const b0 = bytes[i] as number;
    const b1 = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const n = (b0 << 16) | (b1 << 8);
    out += (CHARS[n >> 18] as string) + CHARS[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += CHARS[(n >> 6) & 63];
  }
  return out;
}
