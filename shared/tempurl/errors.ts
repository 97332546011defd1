/** Which input of a temp URL request was rejected; lets callers map errors without parsing text. */
export type TempUrlField =
  | "path"
  | "method"
  | "expires"
  | "key"
  | "digest"
  | "ipRange"
  | "filename";

/**
 * A temp URL request that Swift would refuse, or that cannot be signed faithfully.
 * Messages name the field and may quote the path, method, expiry or IP range, never the key.
 */
export class TempUrlError extends Error {
  override name = "TempUrlError";
  constructor(
    readonly field: TempUrlField,
    message: string,
  ) {
    super(message);
  }
}
