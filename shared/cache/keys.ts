/** Keys every adapter accepts: what S3, R2 and a directory tree can all store unescaped. */
const SEGMENT = /^[A-Za-z0-9_:-][A-Za-z0-9._:-]*$/;
const MAX_KEY_BYTES = 512;

/**
 * Throws a TypeError for keys outside the portable set: 1-512 bytes of `/`-separated segments
 * of `[A-Za-z0-9._:-]`, none empty or starting with a dot. Adapters call it so that a key that
 * works on one backend works on all.
 */
export function assertCacheKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new TypeError(`cache key must be 1-${MAX_KEY_BYTES} characters`);
  }
  for (const segment of key.split("/")) {
    if (!SEGMENT.test(segment)) {
      throw new TypeError(`cache key ${JSON.stringify(key)} has an invalid segment`);
    }
  }
}
