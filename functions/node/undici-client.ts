/**
 * The pinned undici client of origin-fetch.ts, bundled as a file of its own (undici-client.mjs)
 * beside the index.mjs of each Lambda function that fills the cache, and imported on the first
 * fill: undici is about 740 KB of bundled code that a cold start filling nothing never parses.
 * Only undici's own objects cross the boundary, so no class is shared between the two files.
 */
import { Agent, fetch } from "undici";

export interface UndiciClient {
  agent: Agent;
  fetch: typeof fetch;
}

/** undici's body and header timeouts are off: origin-fetch.ts says why. */
export function createUndiciClient(): UndiciClient {
  return { agent: new Agent({ bodyTimeout: 0, headersTimeout: 0 }), fetch };
}
