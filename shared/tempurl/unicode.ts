// ES2024's String.prototype.isWellFormed exists on every runtime we target, but the project's
// TypeScript lib is ES2023.
type MaybeWellFormed = { isWellFormed?: () => boolean };

/**
 * False when `s` holds an unpaired surrogate. Python refuses to UTF-8-encode such a string, while
 * node:crypto and TextEncoder silently substitute U+FFFD, which would sign different bytes.
 */
export function isWellFormed(s: string): boolean {
  const native = (s as unknown as MaybeWellFormed).isWellFormed;
  if (native !== undefined) return native.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}
