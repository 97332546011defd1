/**
 * node:crypto where the runtime has it (Node, Workers with nodejs_compat), else undefined.
 * Looked up through `process.getBuiltinModule` rather than imported, so modules that use it still
 * load on runtimes without it and fall back to Web Crypto or portable code.
 *
 * Looked up on first use, not at import: loading node:crypto takes Node several milliseconds,
 * which a boot function's cold start only pays once it signs or checks a URL
 * (bench/cold-start.ts).
 */
export type NodeCrypto = typeof import("node:crypto");

let lookedUp = false;
let found: NodeCrypto | undefined;

export function nodeCrypto(): NodeCrypto | undefined {
  if (!lookedUp) {
    lookedUp = true;
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    try {
      found = proc?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
    } catch {
      found = undefined;
    }
  }
  return found;
}
