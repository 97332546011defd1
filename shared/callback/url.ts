import { hmacSync, timingSafeEqualStrings, toHex } from "../crypto/index.ts";
import {
  ID_PATTERN,
  normalizeMac,
  normalizeUuid,
  PROVISION_STATES,
  type ProvisionState,
} from "../model/index.ts";

/**
 * Callback URLs: how a booted ramdisk, installer or script tells swiftboot how its step went,
 * with nothing but a URL on its kernel command line (`swiftboot.callback=<URL>`).
 *
 *   <base>/v1/callbacks/node/<node id>/<state>/<state id>/<expires>/<sig>
 *   <base>/v1/callbacks/discovery/<mac, 12 hex>/<uuid or ->/<expires>/<sig>
 *
 * Everything is in the path, made of `[A-Za-z0-9._-]` and `%3A` (a `:` in a node id): no `?`,
 * `&`, `=` or space, so the URL survives a kernel command line, an iPXE script, a shell word and
 * an installer's config file as it is. A node URL names the node, the state it was issued in and
 * the node's `state_id` (one stay in that state, drawn anew at every state change), so it is
 * worth nothing once the node has moved on. It grants one thing: reporting done or fail for that
 * stay; the target state is the state machine's, never the caller's.
 *
 * `sig` is HMAC-SHA256 over `<path up to the expiry>` with a key derived from
 * `artifacts.signing_key` (the artifact key family): HMAC(signing_key, "swiftboot callback key
 * v1"). A derived key keeps the two kinds of signature apart: no artifact signature is ever a
 * callback signature. During a rotation, URLs signed with the derived previous key are accepted
 * until they expire, like artifact URLs.
 */
export const CALLBACK_PATH_PREFIX = "/v1/callbacks/";
export const CALLBACK_KERNEL_ARG = "swiftboot.callback";

const KEY_LABEL = "swiftboot callback key v1";
const STATE_ID = /^[0-9a-f]{16}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
/** Whole seconds, no sign, no leading zero: one spelling per instant. */
const EXPIRES = /^[1-9][0-9]{0,11}$/;
const MAC_HEX = /^[0-9a-f]{12}$/;

export interface CallbackKeys {
  current: string;
  previous?: string | undefined;
}

/** The callback keys derived from the artifact keys; undefined when there is no signing key. */
export function callbackKeys(
  signingKey: string | undefined,
  previousSigningKey: string | undefined,
): CallbackKeys | undefined {
  if (signingKey === undefined) return undefined;
  return {
    current: deriveKey(signingKey),
    ...(previousSigningKey === undefined ? {} : { previous: deriveKey(previousSigningKey) }),
  };
}

function deriveKey(key: string): string {
  return toHex(hmacSync("sha256", key, KEY_LABEL));
}

/** What a callback URL is about. */
export type CallbackSubject =
  | { kind: "node"; nodeId: string; state: ProvisionState; stateId: string }
  /** An unknown machine booting the discovery image. */
  | { kind: "discovery"; mac: string; uuid?: string | undefined };

/** The path without its signature: what is signed. */
export function callbackSignedPath(subject: CallbackSubject, expires: number): string {
  if (subject.kind === "node") {
    const id = subject.nodeId.replaceAll(":", "%3A");
    return `${CALLBACK_PATH_PREFIX}node/${id}/${subject.state}/${subject.stateId}/${expires}`;
  }
  const mac = subject.mac.replaceAll(":", "");
  return `${CALLBACK_PATH_PREFIX}discovery/${mac}/${subject.uuid ?? "-"}/${expires}`;
}

export function signCallbackUrl(
  baseUrl: string,
  subject: CallbackSubject,
  expires: number,
  key: string,
): string {
  const path = callbackSignedPath(subject, expires);
  return `${baseUrl}${path}/${signature(key, path)}`;
}

function signature(key: string, path: string): string {
  return toHex(hmacSync("sha256", key, path));
}

export type CallbackRefusal =
  | "malformed path"
  | "malformed signature"
  | "expired"
  | "bad signature";

export type CallbackCheck =
  | { ok: true; subject: CallbackSubject; expires: number; signedWith: "current" | "previous" }
  /** 401: the URL has run out (a fresh boot gets a fresh one); 403: it was never valid. */
  | { ok: false; status: 401 | 403; reason: CallbackRefusal };

/**
 * Checks a callback path as received (still percent-encoded). Both keys are always tried, so the
 * time taken does not say which one signed it; the signature is checked before the expiry is
 * believed, so an altered expiry is a bad signature, not a fresh URL.
 */
export function verifyCallbackPath(
  pathname: string,
  keys: CallbackKeys,
  now: number,
): CallbackCheck {
  const parsed = parsePath(pathname);
  if (parsed === undefined) return { ok: false, status: 403, reason: "malformed path" };
  const { subject, expires, sig } = parsed;
  if (!SIGNATURE.test(sig)) return { ok: false, status: 403, reason: "malformed signature" };
  const path = callbackSignedPath(subject, expires);
  const byCurrent = timingSafeEqualStrings(sig, signature(keys.current, path));
  const byPrevious =
    keys.previous !== undefined && timingSafeEqualStrings(sig, signature(keys.previous, path));
  if (!byCurrent && !byPrevious) return { ok: false, status: 403, reason: "bad signature" };
  if (now > expires) return { ok: false, status: 401, reason: "expired" };
  return { ok: true, subject, expires, signedWith: byCurrent ? "current" : "previous" };
}

function parsePath(
  pathname: string,
): { subject: CallbackSubject; expires: number; sig: string } | undefined {
  if (!pathname.startsWith(CALLBACK_PATH_PREFIX)) return undefined;
  const parts = pathname.slice(CALLBACK_PATH_PREFIX.length).split("/");
  const kind = parts[0];
  if (kind === "node" && parts.length === 6) {
    const [, rawId, state, stateId, expires, sig] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // Only the one spelling signing produces: `%3A` for `:`, nothing else encoded.
    const nodeId = rawId.replaceAll("%3A", ":");
    if (!ID_PATTERN.test(nodeId) || nodeId.replaceAll(":", "%3A") !== rawId) return undefined;
    if (!(PROVISION_STATES as readonly string[]).includes(state)) return undefined;
    if (!STATE_ID.test(stateId) || !EXPIRES.test(expires)) return undefined;
    return {
      subject: { kind: "node", nodeId, state: state as ProvisionState, stateId },
      expires: Number(expires),
      sig,
    };
  }
  if (kind === "discovery" && parts.length === 5) {
    const [, mac, uuid, expires, sig] = parts as [string, string, string, string, string];
    if (!MAC_HEX.test(mac) || !EXPIRES.test(expires)) return undefined;
    const canonicalUuid = uuid === "-" ? undefined : normalizeUuid(uuid);
    if (uuid !== "-" && canonicalUuid !== uuid) return undefined;
    return {
      subject: { kind: "discovery", mac: normalizeMac(mac) as string, uuid: canonicalUuid },
      expires: Number(expires),
      sig,
    };
  }
  return undefined;
}
