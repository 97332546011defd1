// contract.ts is test support (it imports vitest): import it by path, never from here.
export * from "./coalesce.ts";
export * from "./conditional.ts";
export * from "./errors.ts";
export * from "./fill.ts";
export * from "./keys.ts";
export * from "./memory.ts";
export * from "./origin.ts";
export * from "./range.ts";
export * from "./serve.ts";
export * from "./sha256.ts";
export * from "./tee.ts";
export * from "./types.ts";
export * from "./verify.ts";
