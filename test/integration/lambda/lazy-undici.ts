import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "vitest";

/**
 * undici (functions/node/origin-fetch.ts) is a file of its own beside a filling function's
 * index.mjs, not part of what loads at import. The fills in the same test file prove that the
 * bundle finds and loads it: unbundled, origin-fetch.ts falls back to a source file that a dist
 * directory does not have.
 */
export function expectUndiciLoadedOnFirstFill(bundle: string, eagerInputs: string[]): void {
  // Present, so that the absence below cannot pass on an empty list.
  expect(
    eagerInputs.filter((input) => input.endsWith("functions/node/origin-fetch.ts")),
  ).toHaveLength(1);
  expect(eagerInputs.filter((input) => input.includes("node_modules/undici/"))).toEqual([]);
  expect(eagerInputs.filter((input) => input.endsWith("functions/node/undici-client.ts"))).toEqual(
    [],
  );
  expect(existsSync(join(dirname(bundle), "undici-client.mjs"))).toBe(true);
}
