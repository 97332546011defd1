export * from "./app.ts";
export * from "./compose.ts";
export * from "./errors.ts";
export * from "./types.ts";
