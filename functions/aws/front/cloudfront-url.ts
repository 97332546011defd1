import { getSignedUrl } from "@aws-sdk/cloudfront-signer";

/**
 * CloudFront signed URLs (canned policy: `Expires`, `Signature`, `Key-Pair-Id`, RSA-SHA1), made
 * by AWS's own signer. CloudFront checks them at the edge for behaviours with a trusted key
 * group (the stack's `/artifacts/*`, the private cache bucket through Origin Access Control).
 */
export interface CloudFrontKey {
  /** The CloudFront public key's id (`K...`), a member of the behaviour's trusted key group. */
  keyPairId: string;
  /** Its RSA private key, PEM. */
  privateKey: string;
}

/** `url` (whole: scheme, host, path; no query) signed to be fetched until `expires` (Unix s). */
export function signCloudFrontUrl(url: string, key: CloudFrontKey, expires: number): string {
  return getSignedUrl({
    url,
    keyPairId: key.keyPairId,
    privateKey: key.privateKey,
    // The signer takes a date; CloudFront compares whole seconds.
    dateLessThan: new Date(expires * 1000),
  });
}
