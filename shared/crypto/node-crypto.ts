/**
 * node:crypto where the runtime has it (Node, Workers with nodejs_compat), else undefined.
 * Looked up through `process.getBuiltinModule` rather than imported, so modules that use it still
 * load on runtimes without it and fall back to Web Crypto or portable code.
 */
export type NodeCrypto = typeof import("node:crypto");

export const nodeCrypto: NodeCrypto | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
})();
