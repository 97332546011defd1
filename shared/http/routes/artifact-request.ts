import type { Context } from "hono";
import {
  type ArtifactUrlCheck,
  artifactContentId,
  verifyArtifactUrl,
} from "../../artifacts/index.ts";
import type { Config } from "../../config/index.ts";
import type { LogFields } from "../../log/index.ts";
import type { Image } from "../../model/index.ts";
import type { BootStore } from "../../store/types.ts";
import { textResponse } from "../responses.ts";
import type { AppEnv } from "../types.ts";

/** A request whose artifact URL verified: what every way of answering it starts from. */
export interface VerifiedArtifactRequest {
  method: "GET" | "HEAD";
  url: URL;
  /** Unix time in seconds, read once per request. */
  nowSeconds: number;
  check: Extract<ArtifactUrlCheck, { ok: true }>;
  fields: LogFields;
}

/**
 * The front half of every artifact route (the streaming one and the AWS front's redirect): only
 * GET and HEAD, only with artifact URLs enabled, only with a valid signature; the log line names
 * the image, or why the request was refused. A Response is the refusal to send.
 */
export function verifyArtifactRequest(
  c: Context<AppEnv>,
  config: Config,
  now: () => number,
): VerifiedArtifactRequest | Response {
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") {
    return textResponse(405, "method not allowed", { Allow: "GET, HEAD" });
  }
  const signingKey = config.artifacts.signing_key;
  if (signingKey === undefined) return textResponse(404, "artifact URLs are not enabled");
  const url = new URL(c.req.url);
  const nowSeconds = Math.floor(now() / 1000);
  const keys = { current: signingKey, previous: config.artifacts.previous_signing_key };
  const check = verifyArtifactUrl(url.pathname, url.searchParams, keys, nowSeconds, method);
  const fields = c.get("logFields");
  if (!check.ok) {
    fields.refused = check.reason;
    return textResponse(check.status, check.reason);
  }
  fields.image = check.imageId;
  fields.content_id = check.contentId;
  // Until no request shows "previous", the retired key is still in use (docs/operations.md).
  if (check.signedWith === "previous") fields.signed_with = "previous";
  return { method, url, nowSeconds, check, fields };
}

/**
 * The image a verified URL names, as it is now: 404 when it is gone, 410 when its content changed
 * since the URL was minted (a fresh script has the new URL). Store failures are thrown.
 */
export async function artifactImage(
  store: BootStore,
  config: Config,
  check: VerifiedArtifactRequest["check"],
): Promise<Image | Response> {
  const image = (await store.getImages([check.imageId])).get(check.imageId);
  if (image === undefined) return textResponse(404, `unknown image ${check.imageId}`);
  if (artifactContentId(image, config.swift.container) !== check.contentId) {
    return textResponse(410, "the image's content has changed; fetch a fresh boot script");
  }
  return image;
}

/**
 * Hands a fill that outlives its answer to the runtime: Workers freeze a request once it has
 * answered unless told, and Lambda's stream handler awaits what was handed to waitUntil. Node has
 * no execution context: the fill simply runs on.
 */
export function keepAlive(c: Context<AppEnv>, done: Promise<unknown>): void {
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    return;
  }
  ctx.waitUntil(done);
}
