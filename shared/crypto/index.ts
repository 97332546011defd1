export * from "./hmac.ts";
