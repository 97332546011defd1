export * from "./load.ts";
export * from "./options.ts";
export * from "./schema.ts";
export * from "./redact.ts";
