/**
 * Cloudflare Workers entry point: the same hono app, with the R2 artifact cache, DynamoDB over
 * HTTPS (the AWS SDK's fetch handler, SigV4 with the Worker's AWS key pair), configuration and
 * secrets from the Worker's bindings, and the client's address from CF-Connecting-IP.
 *
 * The app is built on the first request of an isolate (bindings only arrive with a request) and
 * kept while the isolate lives; a failed start is answered and retried on the next request.
 */
import type { ExecutionContext } from "@cloudflare/workers-types";
import type { Hono } from "hono";
import { getConnInfo } from "hono/cloudflare-workers";
import { createR2Cache } from "../../shared/cache/adapters/r2.ts";
import { ConfigError, parseConfig, secretsOf } from "../../shared/config/index.ts";
import { configWarnings } from "../../shared/config/start-warnings.ts";
import { createApp } from "../../shared/http/app.ts";
import type { AppEnv } from "../../shared/http/types.ts";
import { createJsonLogger } from "../../shared/log/index.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { awsCredentials, stringBindings, type WorkerEnv } from "./env.ts";

let app: Hono<AppEnv> | undefined;

function build(env: WorkerEnv): Hono<AppEnv> {
  const config = parseConfig({ env: stringBindings(env) });
  const credentials = awsCredentials(env);
  const store = createDynamoStore({
    ...storeOptions(config),
    ...(credentials === undefined ? {} : { credentials }),
  });
  const logger = createJsonLogger({ level: config.log.level, secrets: secretsOf(config) });
  for (const warning of configWarnings(config)) logger.warn("configuration warning", { warning });
  return createApp({
    config,
    store,
    logger,
    clientAddress: (c) => getConnInfo(c).remote.address,
    ...(env.CACHE === undefined ? {} : { cache: createR2Cache(env.CACHE) }),
  });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    if (app === undefined) {
      try {
        app = build(env);
      } catch (error) {
        const permanent = error instanceof ConfigError;
        console.log(
          JSON.stringify({
            time: new Date().toISOString(),
            level: "error",
            msg: "start failed",
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          }),
        );
        return new Response(
          permanent ? "swiftboot: configuration error\n" : "swiftboot: starting; retry\n",
          {
            status: permanent ? 500 : 503,
            headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
          },
        );
      }
    }
    return app.fetch(request, env, ctx);
  },
};
