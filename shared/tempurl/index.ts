export * from "./errors.ts";
export * from "./expiry.ts";
export * from "./generate.ts";
export * from "./ip-range.ts";
export { toUrlPath } from "./path.ts";
export { parseTimestamp, TIME_ERRMSG } from "./py-timestamp.ts";
export * from "./sign.ts";
export * from "./storage-url.ts";
export type * from "./types.ts";
