export * from "./api.ts";
export { MAX_PAGE_SIZE } from "./schemas.ts";
