export * from "./app.ts";
export * from "./compose.ts";
export * from "./responses.ts";
export * from "./types.ts";
