import { createVerify, type KeyObject } from "node:crypto";

/**
 * What CloudFront checks of a signed URL (canned policy) before serving a behaviour with a
 * trusted key group, written from AWS's description rather than from the signer, so the tests
 * compare two independent implementations: the key pair id names a trusted public key; the
 * signature is RSA-SHA1 (PKCS#1 v1.5) over the canned policy
 * `{"Statement":[{"Resource":"<URL without the signing parameters>","Condition":{"DateLessThan":{"AWS:EpochTime":<Expires>}}}]}`
 * in CloudFront's URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`); and the time is before Expires.
 */
export type CloudFrontVerdict =
  | { ok: true; resource: string; expires: number }
  | { ok: false; reason: string };

const SIGNING_PARAMS = ["Expires", "Signature", "Key-Pair-Id"] as const;

export function verifyCloudFrontSignedUrl(
  signedUrl: string,
  trustedKeys: ReadonlyMap<string, KeyObject | string>,
  nowSeconds: number,
): CloudFrontVerdict {
  let url: URL;
  try {
    url = new URL(signedUrl);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  const expiresText = url.searchParams.get("Expires");
  const signature = url.searchParams.get("Signature");
  const keyPairId = url.searchParams.get("Key-Pair-Id");
  if (expiresText === null || signature === null || keyPairId === null) {
    return { ok: false, reason: "missing Expires, Signature or Key-Pair-Id" };
  }
  if (!/^\d{1,12}$/.test(expiresText)) return { ok: false, reason: "Expires is not a number" };
  const key = trustedKeys.get(keyPairId);
  if (key === undefined) return { ok: false, reason: `key ${keyPairId} is not trusted` };
  // The resource is the URL as requested, minus the signing parameters (and in the order left).
  const rest = new URLSearchParams(url.search);
  for (const name of SIGNING_PARAMS) rest.delete(name);
  const query = rest.toString();
  const resource = `${url.protocol}//${url.host}${url.pathname}${query === "" ? "" : `?${query}`}`;
  const expires = Number(expiresText);
  const policy = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
  const der = Buffer.from(
    signature.replaceAll("-", "+").replaceAll("_", "=").replaceAll("~", "/"),
    "base64",
  );
  const verifier = createVerify("RSA-SHA1");
  verifier.update(policy);
  if (!verifier.verify(key, der)) return { ok: false, reason: "signature does not match" };
  if (nowSeconds >= expires) return { ok: false, reason: "expired" };
  return { ok: true, resource, expires };
}
