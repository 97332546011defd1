export * from "./iso-time.ts";
export * from "./logger.ts";
export * from "./redact.ts";
