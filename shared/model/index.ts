export * from "./identifiers.ts";
export * from "./image.ts";
export * from "./node.ts";
export * from "./problems.ts";
