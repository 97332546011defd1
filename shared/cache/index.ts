// contract.ts is test support (it imports vitest): import it by path, never from here.

export * from "../artifacts/conditional.ts";
export * from "../artifacts/origin.ts";
export * from "../artifacts/range.ts";
export * from "../artifacts/serve.ts";
export * from "./coalesce.ts";
export * from "./errors.ts";
export * from "./fill.ts";
export * from "./keys.ts";
export * from "./memory.ts";
export * from "./sha256.ts";
export * from "./tee.ts";
export * from "./types.ts";
export * from "./verify.ts";
