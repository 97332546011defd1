import {
  artifactContentId,
  artifactFileName,
  artifactPath,
  signArtifactPath,
} from "../artifacts/signed-url.ts";
import { ScriptToken } from "../ipxe/index.ts";
import type { Image } from "../model/index.ts";
import type { SwiftUrlSettings } from "./settings.ts";

/**
 * Work on an image that every script booting it repeats identically, done once per image: the
 * artifact URL's canonical path (content id, file name), and the last URL minted from it with the
 * token that checked it for iPXE. Expiries are whole seconds and every machine booting the image
 * in one second gets the same URL, so a rack deploying one image mints and checks it once a
 * second instead of once a script. Nothing here depends on the machine asking.
 *
 * Kept per Image object in a WeakMap: the image cache (image-cache.ts) hands the same object to
 * every script until it reads the image again, so an edited image starts afresh and an evicted
 * one is collected with its entry; a store without the cache makes new objects for each script,
 * which only costs the (small) work done here anyway.
 */
interface ArtifactParts {
  /** `swift.container` the content id was worked out with (a configuration reload may change it). */
  defaultContainer: string | undefined;
  path: string;
  last?: { baseUrl: string; expires: number; key: string; url: string };
}

const artifactParts = new WeakMap<Image, ArtifactParts>();

/** The signed artifact URL for `image` (as signArtifactUrl builds it), reused within a second. */
export function artifactUrlFor(
  image: Image,
  defaultContainer: string | undefined,
  baseUrl: string,
  expires: number,
  key: string,
): string {
  let parts = artifactParts.get(image);
  if (parts === undefined || parts.defaultContainer !== defaultContainer) {
    const contentId = artifactContentId(image, defaultContainer);
    parts = {
      defaultContainer,
      path: artifactPath(image.id, contentId, artifactFileName(image)),
    };
    artifactParts.set(image, parts);
  }
  const last = parts.last;
  if (
    last !== undefined &&
    last.expires === expires &&
    last.baseUrl === baseUrl &&
    last.key === key
  ) {
    return last.url;
  }
  const url = signArtifactPath(baseUrl, parts.path, expires, key);
  parts.last = { baseUrl, expires, key, url };
  return url;
}

const swiftUrls = new WeakMap<
  Image,
  { settings: SwiftUrlSettings; expires: number; url: string }
>();

/**
 * A Swift temp URL without an address range, minted by `mint` once per image, settings object
 * (one per configuration) and expiry second. A failure (`mint` returning a reason) is not kept.
 */
export function sharedSwiftUrl<F>(
  image: Image,
  settings: SwiftUrlSettings,
  expires: number,
  mint: () => string | F,
): string | F {
  const last = swiftUrls.get(image);
  if (last !== undefined && last.settings === settings && last.expires === expires) return last.url;
  const url = mint();
  if (typeof url === "string") swiftUrls.set(image, { settings, expires, url });
  return url;
}

const checkedUrls = new WeakMap<Image, ScriptToken>();

/**
 * ScriptToken.url for an image's download URL, remembering the last URL that passed per image:
 * the same URL (artifactUrlFor hands out the same string within a second) is not checked again.
 * A URL that fails is checked, and throws, every time.
 */
export function imageUrlToken(image: Image, url: string, what: string): ScriptToken {
  const known = checkedUrls.get(image);
  if (known !== undefined && known.text === url) return known;
  const token = ScriptToken.url(url, what);
  checkedUrls.set(image, token);
  return token;
}
