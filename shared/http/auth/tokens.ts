import { timingSafeEqualStrings, toHex } from "../../crypto/index.ts";

/**
 * Admin API bearer tokens. Only SHA-256 hashes are configured (`admin.tokens`), so the
 * configuration holds nothing that opens the API; a presented token is hashed and compared with
 * every configured hash in constant time (no early exit), so timing tells nothing about which
 * entry, if any, is close.
 */

export const SCOPES = ["read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenEntry {
  scope: Scope;
  /** Lower-case hex SHA-256 of the token. */
  hash: string;
}

/** `read:<hex>,admin:<hex>` (validated by the config schema) → entries; empty when unset. */
export function parseTokenEntries(value: string | undefined): TokenEntry[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [scope, hash] = entry.split(":") as [string, string];
      if (scope !== "read" && scope !== "admin") throw new Error(`unknown token scope ${scope}`);
      return { scope, hash: hash.toLowerCase() };
    });
}

/** Web Crypto, on every runtime; the token is never kept or logged. */
export async function sha256Hex(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return toHex(new Uint8Array(digest));
}

/** The scope of the entry whose hash matches, comparing against all of them. */
export async function scopeOf(
  token: string,
  entries: readonly TokenEntry[],
): Promise<{ scope: Scope; hash: string } | undefined> {
  const hash = await sha256Hex(token);
  let found: TokenEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqualStrings(hash, entry.hash) && found === undefined) found = entry;
  }
  return found === undefined ? undefined : { scope: found.scope, hash };
}

/** GET and HEAD need `read` (or `admin`); everything else needs `admin`. */
export function requiredScope(method: string): Scope {
  return method === "GET" || method === "HEAD" ? "read" : "admin";
}

export function allows(granted: Scope, needed: Scope): boolean {
  return granted === "admin" || needed === "read";
}

/** A new token: 32 random bytes, base64url, with a prefix that secret scanners can spot. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `sbt_${base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
}
