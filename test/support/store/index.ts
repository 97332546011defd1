export { brokenStore, emptyStore, fixedStore } from "./fakes.ts";
export { MemoryStore } from "./memory-store.ts";
