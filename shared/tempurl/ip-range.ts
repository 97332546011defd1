/**
 * `temp_url_ip_range` validation, ported from what Swift's tempurl middleware does with it:
 * Python's `ipaddress.ip_network(value)` (strict), where any error means 401. Accepted: an IPv4
 * or IPv6 address; IPv4 with `/prefixlen`, `/netmask` or `/hostmask`; IPv6 with `/prefixlen`
 * and an optional `%scope`. Rejected: host bits set (`1.2.3.4/24`), leading zeros in IPv4
 * octets, non-ASCII digits, signs or spaces anywhere.
 */

const INVALID = -1;

/** Python's `_BaseV4._ip_int_from_string`; INVALID on any error. */
function parseIPv4(s: string): number {
  let value = 0;
  let octets = 0;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && s.charCodeAt(i) !== 0x2e) continue;
    const len = i - start;
    if (len === 0 || len > 3 || octets === 4) return INVALID;
    if (len > 1 && s.charCodeAt(start) === 0x30) return INVALID;
    let octet = 0;
    for (let j = start; j < i; j++) {
      const d = s.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) return INVALID;
      octet = octet * 10 + d;
    }
    if (octet > 255) return INVALID;
    value = value * 256 + octet;
    octets++;
    start = i + 1;
  }
  return octets === 4 ? value : INVALID;
}

/** Python's `_prefix_from_prefix_string`: ASCII digits only (leading zeros allowed), 0..max. */
function parsePrefixLength(s: string, max: number): number {
  if (s.length === 0) return INVALID;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return INVALID;
    n = n * 10 + d;
    if (n > max && n > 1000) return INVALID;
  }
  return n <= max ? n : INVALID;
}

/** Prefix length of a contiguous netmask (1s then 0s), else INVALID. */
function prefixFromMask(mask: number): number {
  let prefix = 0;
  let m = mask;
  while (prefix < 32 && m >= 0x80000000) {
    prefix++;
    m = (m * 2) % 0x100000000;
  }
  return m === 0 ? prefix : INVALID;
}

/** Python's `_prefix_from_ip_string`: a netmask, else a hostmask; all-zero counts as /0. */
function prefixFromDottedMask(s: string): number {
  const ip = parseIPv4(s);
  if (ip === INVALID) return INVALID;
  const asNetmask = prefixFromMask(ip);
  if (asNetmask !== INVALID) return asNetmask;
  return prefixFromMask(0xffffffff - ip);
}

function parseHextet(s: string): number {
  if (s.length === 0 || s.length > 4) return INVALID;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return INVALID;
    n = n * 16 + d;
  }
  return n;
}

/** Python's `_BaseV6._ip_int_from_string` (scope already removed), as 8 hextets. */
function parseIPv6(s: string): number[] | undefined {
  if (s.length === 0) return undefined;
  const parts = s.split(":");
  if (parts.length < 3) return undefined;
  const tail = parts[parts.length - 1] as string;
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (v4 === INVALID) return undefined;
    parts.pop();
    parts.push(Math.floor(v4 / 0x10000).toString(16), (v4 % 0x10000).toString(16));
  }
  if (parts.length > 9) return undefined;
  let skip = -1;
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] !== "") continue;
    if (skip >= 0) return undefined;
    skip = i;
  }
  let hi: number;
  let lo: number;
  if (skip >= 0) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (parts[0] === "" && --hi !== 0) return undefined;
    if (parts[parts.length - 1] === "" && --lo !== 0) return undefined;
    if (8 - (hi + lo) < 1) return undefined;
  } else {
    if (parts.length !== 8) return undefined;
    hi = 8;
    lo = 0;
  }
  const hextets: number[] = [];
  for (let i = 0; i < hi; i++) hextets.push(parseHextet(parts[i] as string));
  while (hextets.length < 8 - lo) hextets.push(0);
  for (let i = parts.length - lo; i < parts.length; i++) {
    hextets.push(parseHextet(parts[i] as string));
  }
  return hextets.includes(INVALID) ? undefined : hextets;
}

function ipv4HostBitsSet(address: number, prefix: number): boolean {
  return address % 2 ** (32 - prefix) !== 0;
}

function ipv6HostBitsSet(hextets: number[], prefix: number): boolean {
  for (let h = 0; h < 8; h++) {
    const netBits = Math.min(16, Math.max(0, prefix - 16 * h));
    if ((hextets[h] as number) % 2 ** (16 - netBits) !== 0) return true;
  }
  return false;
}

type Verdict = "ok" | "invalid" | "host bits";

function judge(range: string): Verdict {
  const slash = range.indexOf("/");
  if (slash >= 0 && range.indexOf("/", slash + 1) >= 0) return "invalid";
  const address = slash < 0 ? range : range.slice(0, slash);
  const mask = slash < 0 ? undefined : range.slice(slash + 1);

  const v4 = parseIPv4(address);
  if (v4 !== INVALID) {
    const prefix =
      mask === undefined
        ? 32
        : parsePrefixLength(mask, 32) !== INVALID
          ? parsePrefixLength(mask, 32)
          : prefixFromDottedMask(mask);
    // An IPv4 address with a bad mask falls through to IPv6 in Python, which rejects it too.
    if (prefix === INVALID) return "invalid";
    return ipv4HostBitsSet(v4, prefix) ? "host bits" : "ok";
  }

  const percent = address.indexOf("%");
  if (percent >= 0) {
    const scope = address.slice(percent + 1);
    if (scope.length === 0 || scope.includes("%")) return "invalid";
  }
  const hextets = parseIPv6(percent < 0 ? address : address.slice(0, percent));
  if (hextets === undefined) return "invalid";
  const prefix = mask === undefined ? 128 : parsePrefixLength(mask, 128);
  if (prefix === INVALID) return "invalid";
  return ipv6HostBitsSet(hextets, prefix) ? "host bits" : "ok";
}

// Ranges repeat (one per site or rack), so a valid one is parsed once. Bounded: cleared when full.
const known = new Set<string>();
const KNOWN_MAX = 1024;

/** Why Swift would reject `range` as `temp_url_ip_range`, or undefined if it is valid. */
export function ipRangeProblem(range: string): string | undefined {
  if (known.has(range)) return undefined;
  const verdict = judge(range);
  if (verdict === "ok") {
    if (known.size >= KNOWN_MAX) known.clear();
    known.add(range);
    return undefined;
  }
  if (verdict === "host bits") {
    return `ip range ${JSON.stringify(range)} has host bits set; give the network address (e.g. 1.2.3.0/24, not 1.2.3.4/24)`;
  }
  return `ip range ${JSON.stringify(range)} is not an IPv4 or IPv6 address or network`;
}

export function isValidIpRange(range: string): boolean {
  return ipRangeProblem(range) === undefined;
}
