export * from "./bearer.ts";
export * from "./tokens.ts";
