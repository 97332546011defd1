export * from "./cache-key.ts";
export * from "./conditional.ts";
export * from "./origin.ts";
export * from "./range.ts";
export * from "./serve.ts";
export * from "./services.ts";
export * from "./signed-url.ts";
export * from "./warm.ts";
