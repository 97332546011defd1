export * from "./identifiers.ts";
export * from "./image.ts";
export * from "./inventory.ts";
export * from "./node.ts";
export * from "./problems.ts";
export * from "./report.ts";
