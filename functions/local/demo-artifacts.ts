import { createHash } from "node:crypto";
import type { OriginFetch } from "../../shared/artifacts/origin.ts";
import { DEMO_ORIGIN, demoDocument } from "../../shared/import/index.ts";
import type { ImageInput } from "../../shared/model/index.ts";
import { nodeOriginFetch } from "../node/origin-fetch.ts";

/**
 * The demo images' origin (`DEMO_ORIGIN`, `http://127.0.0.1:8080/demo/...`), served by `npm
 * start` itself so that a demo artifact URL works out of the box: the first request fills the
 * local cache from here, later ones are hits. The bytes are generated and deterministic (a
 * readable header, then a seeded pattern); they are not bootable. Only the local server mounts
 * this; on any other port, cache fills reach them in-process through `withDemoOrigins`.
 */
export const DEMO_PATH_PREFIX = new URL(DEMO_ORIGIN).pathname; // "/demo"
const DEMO_BYTES = 256 * 1024;

const images: ImageInput[] = demoDocument.images;
const objects = new Map<string, Uint8Array<ArrayBuffer>>(
  images.map((image) => [image.swift.object, generate(image.swift.object)]),
);

function generate(object: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(DEMO_BYTES);
  const header = new TextEncoder().encode(
    `swiftboot demo artifact ${object}: not bootable, ${DEMO_BYTES} bytes\n`,
  );
  out.set(header);
  // Seeded from the name, so each object differs and every start serves the same bytes.
  let block = createHash("sha256").update(object).digest();
  for (let offset = header.byteLength; offset < DEMO_BYTES; offset += block.byteLength) {
    out.set(block.subarray(0, Math.min(block.byteLength, DEMO_BYTES - offset)), offset);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

/** The answer to a `/demo/...` request, or undefined for every other path. */
export function demoArtifactResponse(request: Request): Response | undefined {
  // Checked on the raw URL first: every request passes here, and parsing it costs more.
  if (!request.url.includes(`${DEMO_PATH_PREFIX}/`)) return undefined;
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith(`${DEMO_PATH_PREFIX}/`)) return undefined;
  const bytes = objects.get(decodeURIComponent(pathname.slice(DEMO_PATH_PREFIX.length + 1)));
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
  }
  if (bytes === undefined) return new Response("no such demo artifact\n", { status: 404 });
  const headers = {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(bytes.byteLength),
  };
  return new Response(request.method === "HEAD" ? null : bytes, { status: 200, headers });
}

/**
 * The fetch cache fills use under `npm start`: demo origins are answered in-process, so the demo
 * artifacts fill whatever port the server listens on; every other origin goes to the network
 * through `next` (by default the undici client of functions/node/origin-fetch.ts).
 */
export function withDemoOrigins(next: OriginFetch = nodeOriginFetch): OriginFetch {
  return async (url, init) => {
    if (!url.startsWith(`${DEMO_ORIGIN}/`)) return next(url, init);
    const answer = demoArtifactResponse(new Request(url, init));
    return answer ?? new Response("no such demo artifact\n", { status: 404 });
  };
}
