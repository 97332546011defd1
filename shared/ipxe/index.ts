export * from "./echo-text.ts";
export * from "./script.ts";
export * from "./tokens.ts";
export * from "./url.ts";
