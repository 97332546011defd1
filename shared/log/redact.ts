/**
 * Signature-bearing query parameters: a URL is harmless in a log once these are masked, and
 * masking them keeps the expiry visible for debugging.
 */
const SIGNATURE_PARAMS =
  /((?:temp_url_sig|sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&"\s\\]+/gi;

/** Callback URLs carry their signature as the last path segment (shared/callback/url.ts). */
const CALLBACK_SIGNATURE = /(\/v1\/callbacks\/[^"\s\\?#]*\/)[0-9a-f]{64}/gi;

/** Replaces every secret and every URL signature in `text`. */
/**
 * What every match of the two patterns above contains (`sig=`, `X-Amz-`, `/v1/callbacks/`, in
 * any case): a line without any of them, such as a boot script's request line, skips both
 * replacements on one scan.
 */
const MAY_HOLD_SIGNATURE = /sig=|x-amz-|\/v1\/callbacks\//i;

export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = MAY_HOLD_SIGNATURE.test(text)
    ? text.replace(SIGNATURE_PARAMS, "$1[redacted]").replace(CALLBACK_SIGNATURE, "$1[redacted]")
    : text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  return out;
}
