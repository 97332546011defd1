/**
 * Cache keys. Content-addressed: the content id changes whenever an image's bytes do (see
 * `artifactContentId`), so a key never needs invalidating and a stale object is simply never
 * asked for again (bucket lifecycle rules clear it; see docs/artifacts.md).
 */
export const ARTIFACT_KEY_PREFIX = "artifacts/";

/** `artifacts/<imageId>/<contentId>`. Image ids use `[A-Za-z0-9._:-]`, content ids are hex. */
export function artifactCacheKey(imageId: string, contentId: string): string {
  return `${ARTIFACT_KEY_PREFIX}${imageId}/${contentId}`;
}
