export * from "./docs.ts";
export * from "./load.ts";
export * from "./options.ts";
export * from "./redact.ts";
export * from "./schema.ts";
export * from "./warnings.ts";
