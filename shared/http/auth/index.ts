export * from "./bearer.ts";
export * from "./iam-principal.ts";
export * from "./tokens.ts";
