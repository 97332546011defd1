import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BundleName, type BundleResult, buildBundles } from "../../../scripts/build.ts";

/**
 * The bundles under test, built by the same code as `npm run build` into a directory of the test
 * file's own (test files run in parallel and must not overwrite each other's output).
 */
export async function buildForTest(...names: BundleName[]): Promise<Record<string, string>> {
  const bundles = await buildResultsForTest(...names);
  return Object.fromEntries(bundles.map((b) => [b.name, b.file]));
}

/** buildForTest, with what each build reports (sizes, what loads at import). */
export async function buildResultsForTest(...names: BundleName[]): Promise<BundleResult[]> {
  const outdir = mkdtempSync(join(tmpdir(), "swiftboot-dist-"));
  built.push(outdir);
  return buildBundles({ outdir, only: names });
}

/** A sample event from events/, as `sam local invoke -e events/<name>.json` reads it. */
export function loadEvent(name: string): Record<string, unknown> {
  const file = new URL(`../../../events/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

const built: string[] = [];

/** Removes what buildForTest built (call from afterAll). */
export function removeTestBuilds(): void {
  for (const dir of built.splice(0)) rmSync(dir, { recursive: true, force: true });
}
