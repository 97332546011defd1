export * from "./hmac.ts";
export * from "./node-crypto.ts";
