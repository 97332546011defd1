import type { OriginFetch } from "../../shared/artifacts/origin.ts";
import type { UndiciClient } from "./undici-client.ts";

/**
 * How cache fills reach images' origins on Node (`npm start`, `swiftboot cache warm`, the Lambda
 * functions): the `undici` package at a pinned version, not the global `fetch`.
 *
 * Node 22's global fetch is the undici bundled with Node, whose HTTP/1 parser asserts
 * `!this.paused` when an origin closes its connection while the body is paused by backpressure
 * (nodejs/undici#5360): an AssertionError thrown from a socket event handler, which nothing can
 * catch and which ends the process. A cache fill reads at the pace of its disk or bucket, so a
 * large body from an origin that closes after sending (`python3 -m http.server`, any HTTP/1.0
 * server) hit it within a few fills. undici 8.6.0 fixed it (nodejs/undici#5474); package.json
 * pins a version with the fix, and test/integration/artifacts/large-fills.test.ts proves it.
 *
 * Requests go through an Agent of our own, never the global dispatcher: undici shares that
 * through a global symbol, so which client served a request would depend on load order. (Loading
 * undici 8 also installs its Agent as the dispatcher of Node's built-in fetch, a side effect that
 * nothing here relies on.)
 * undici's own body and header timeouts are off: `openOrigin` (shared/artifacts/origin.ts) applies
 * `cache.origin_timeout_ms` to the connection, the headers and every read of the body, and a
 * second, fixed limit would cut fills the configuration allows.
 *
 * Workers keep their runtime's fetch; the core (shared/) takes this through the `OriginFetch`
 * seam and never imports undici. undici is loaded on the first fill, not at import: the Lambda
 * functions that carry it should not pay for it on a cold start that fills nothing. In a bundle
 * it is a file of its own beside index.mjs (undici-client.mjs, scripts/build.ts builds it from
 * undici-client.ts), as the secret readers are (functions/aws/environment/secrets.ts).
 */
const CLIENT_MODULES = ["./undici-client.mjs", "./undici-client.ts"];

type ClientModule = typeof import("./undici-client.ts");

let client: Promise<UndiciClient> | undefined;

/**
 * The bundled client, or (unbundled, under tsx or vitest) its source. Specifiers built at run
 * time, so that esbuild leaves the import alone instead of inlining undici. A failed load is not
 * kept: the next fill tries again.
 */
async function loadClient(): Promise<UndiciClient> {
  let firstError: unknown;
  for (const specifier of CLIENT_MODULES) {
    try {
      const module = (await import(new URL(specifier, import.meta.url).href)) as ClientModule;
      return module.createUndiciClient();
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

export const nodeOriginFetch: OriginFetch = async (url, init) => {
  client ??= loadClient().catch((error: unknown) => {
    client = undefined;
    throw error;
  });
  const { agent, fetch } = await client;
  const response = await fetch(url, { ...init, dispatcher: agent });
  // undici's Response implements the same Fetch standard interface as the global one; only its
  // TypeScript declarations are separate.
  return response as unknown as Response;
};
