/**
 * Lambda entry point for `POST /v1/callbacks/...`: what a booted machine reports through the URL
 * on its kernel command line (docs/provisioning.md). It mounts the callback route alone.
 *
 * Its Function URL is auth NONE, reached through the front's `/v1/callbacks/*` behaviour (and
 * directly): a POST through Origin Access Control would need the viewer to send
 * `x-amz-content-sha256`, which busybox `wget --post-data` and `curl -d` never do. The URL carries
 * its own HMAC, checked before the body is read, and grants one report for one boot; the role may
 * write only what a report writes (infra/constructs/policies.ts, callbackReportWrite).
 *
 * Viewer headers are not trusted here (the stack leaves `front.viewer_headers` off): anyone may
 * call this URL directly, and the route builds no URL from the host.
 */
import { composeApp } from "../../shared/http/compose.ts";
import { callbackRouteGroup } from "../../shared/http/routes/callbacks.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { createHttpHandler } from "./handlers/http-buffered.ts";

export const handler = createHttpHandler("callbacks", ({ config, logger, clientAddress }) =>
  composeApp({ config, logger, clientAddress, store: createDynamoStore(storeOptions(config)) }, [
    callbackRouteGroup,
  ]),
);
