export type TempUrlDigest = "sha1" | "sha256" | "sha512";

export interface TempUrlRequest {
  /** "/v1/AUTH_test/images/ipa/deploy.kernel" as the client will request it (decoded; unicode allowed). */
  path: string;
  key: string;
  /** GET, HEAD, PUT, POST or DELETE (any case); default GET. */
  method?: string;
  /** Absolute Unix seconds, a non-negative safe integer. */
  expires: number;
  /** Default sha256. */
  digest?: TempUrlDigest;
  /** Sign `prefix:<path>`: the last path part is a prefix, possibly empty, not an object name. */
  prefix?: boolean;
  /** A single IPv4/IPv6 address or a network without host bits set; "" means none. */
  ipRange?: string;
  /** Render temp_url_expires as YYYY-MM-DDTHH:MM:SSZ; the HMAC still uses the integer. */
  iso8601?: boolean;
  /** Content-Disposition filename Swift should send (not signed). */
  filename?: string;
  /** Ask Swift for `Content-Disposition: inline` (not signed). */
  inline?: boolean;
}
