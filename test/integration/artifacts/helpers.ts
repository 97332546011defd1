import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  artifactCacheKey,
  artifactContentId,
  artifactFileName,
  signArtifactUrl,
} from "../../../shared/artifacts/index.ts";
import { type FsCache, openFsCache } from "../../../shared/cache/adapters/fs.ts";
import type { Image, ImageInput } from "../../../shared/model/index.ts";
import { imageSchema } from "../../../shared/model/index.ts";

export const SIGNING_KEY = "artifact-signing-key-0123456789abcdef";

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
export const random = (n: number) => new Uint8Array(randomBytes(n));

/** A local-directory cache in a fresh temp dir. */
export async function tempCache(): Promise<{
  cache: FsCache;
  root: string;
  remove(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), "swiftboot-artifacts-"));
  return {
    cache: await openFsCache(root),
    root,
    remove: () => rm(root, { recursive: true, force: true, maxRetries: 5 }),
  };
}

/** What a script would point at: the signed URL of `image` on `baseUrl`. */
export function artifactUrl(
  baseUrl: string,
  image: ImageInput,
  options: { expires?: number; key?: string; contentId?: string; defaultContainer?: string } = {},
): string {
  const parsed = imageSchema.parse(image);
  return signArtifactUrl({
    baseUrl,
    imageId: parsed.id,
    contentId: options.contentId ?? artifactContentId(parsed, options.defaultContainer),
    fileName: artifactFileName(parsed),
    expires: options.expires ?? Math.floor(Date.now() / 1000) + 300,
    key: options.key ?? SIGNING_KEY,
  });
}

export function cacheKeyOf(image: ImageInput, defaultContainer?: string): string {
  const parsed: Image = imageSchema.parse(image);
  return artifactCacheKey(parsed.id, artifactContentId(parsed, defaultContainer));
}

/** Every file under `root`, relative; temp files included. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(root, "");
  return out.sort();
}

/** Reads a fetch body to the end; rejects if the connection is cut. */
export async function bodyBytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

/** Downloads `url`; `ok` is false when the body could not be read to the end. */
export async function download(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; bytes?: Uint8Array; ok: boolean; error?: unknown }> {
  const res = await fetch(url, init);
  try {
    const bytes = await bodyBytes(res);
    return { status: res.status, headers: res.headers, bytes, ok: true };
  } catch (error) {
    return { status: res.status, headers: res.headers, ok: false, error };
  }
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
