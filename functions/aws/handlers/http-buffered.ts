import type {
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
  LambdaFunctionURLEvent,
} from "aws-lambda";
import type { Context, Hono } from "hono";
import { getConnInfo, handle, type LambdaEvent } from "hono/aws-lambda";
import { type Config, ConfigError, secretsOf } from "../../../shared/config/index.ts";
import { configWarnings } from "../../../shared/config/start-warnings.ts";
import type { Logger } from "../../../shared/log/index.ts";
import { lambdaEnvironmentApp } from "../environment/app.ts";
import { lambdaConfig } from "../environment/config.ts";
import { createLambdaLogger, logWithoutLogger } from "../telemetry/logger.ts";

/** What an entry point builds its app from, once per execution environment. */
export interface LambdaRuntime {
  config: Config;
  logger: Logger;
  /** The machine's address as the Function URL saw it (`requestContext.http.sourceIp`). */
  clientAddress: (c: Context) => string | undefined;
  /**
   * Registers work to start once each response has gone out, before the invocation returns:
   * after the stream has ended (createStreamingHandler), or before returning the buffered
   * answer (createHttpHandler). The boot function flushes its history queue here, so the write
   * starts only after the machine has its whole script.
   */
  afterResponse: (work: () => Promise<void>) => void;
}

/** An entry point's app, and what its handler runs after each response. */
export interface BuiltApp {
  app: AnyHono;
  /** Runs the registered afterResponse work, then waits for what was handed to waitUntil. */
  afterResponse: () => Promise<void>;
}

export type AnyEnv = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: hono/aws-lambda's handle() is generic over any app
export type AnyHono = Hono<any, any, any>;
/** A Function URL (payload 2.0) handler, as Lambda and `sam local invoke` call it. */
export type FunctionUrlHandler = (
  event: LambdaFunctionURLEvent,
  context: LambdaContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Configuration (with the secret's text), logger, then the entry point's app. */
export async function buildApp(
  fn: string,
  build: (runtime: LambdaRuntime) => AnyHono | Promise<AnyHono>,
  env: AnyEnv,
  secretText: string | undefined,
): Promise<BuiltApp> {
  const config = lambdaConfig(env as Record<string, string | undefined>, secretText);
  const logger = createLambdaLogger({
    level: config.log.level,
    secrets: secretsOf(config),
    fn,
    requestId: () => currentRequestId,
  });
  for (const warning of configWarnings(config)) logger.warn("configuration warning", { warning });
  // Per app: a rebuilt app (new secret) registers its own, and the old one's go with it.
  const after: (() => Promise<void>)[] = [];
  const app = await build({
    config,
    logger,
    clientAddress: sourceIp,
    afterResponse: (work) => {
      after.push(work);
    },
  });
  return {
    app: withWaitUntil(app),
    afterResponse: async () => {
      // Settled, not thrown: the answer has gone out, and a failure here is the work's to log.
      await Promise.allSettled(after.map((work) => work()));
      await settleBackgroundWork();
    },
  };
}

/** The machine's address as the Function URL saw it (hono's helper: `requestContext.http.sourceIp`). */
export function sourceIp(c: Context): string | undefined {
  return getConnInfo(c).remote.address;
}

let currentRequestId: string | undefined;
export const setRequestId = (id: string | undefined): void => {
  currentRequestId = id;
};
export const getRequestId = (): string | undefined => currentRequestId;
const background: Promise<unknown>[] = [];

/**
 * Lambda freezes the execution environment as soon as the handler returns, so work the app
 * leaves running (boot history writes, a cache fill whose client went away) would stall until
 * the next request, or be lost. The app hands such work to `c.executionCtx.waitUntil`, as on
 * Workers; here the handler waits for it before returning (bounded by the work's own timeouts).
 */
export function withWaitUntil(app: AnyHono): AnyHono {
  const executionCtx = {
    waitUntil: (promise: Promise<unknown>) => {
      background.push(promise);
    },
    passThroughOnException: () => {},
    props: {},
  };
  return {
    fetch: (request: Request, env: unknown) => app.fetch(request, env, executionCtx),
  } as unknown as AnyHono;
}

export async function settleBackgroundWork(): Promise<void> {
  while (background.length > 0) await Promise.allSettled(background.splice(0));
}

/**
 * A Function URL handler over an app that `build` makes once per execution environment, on the
 * first request, after the configuration (and its secrets) is loaded. A failed start is answered,
 * not thrown, and retried on the next request: 500 for a configuration error (it will not heal
 * by itself), 503 with Retry-After for anything else (a secret that could not be read yet).
 */
export function createHttpHandler(
  fn: string,
  build: (runtime: LambdaRuntime) => AnyHono | Promise<AnyHono>,
  env: AnyEnv = process.env,
): FunctionUrlHandler {
  const app = lambdaEnvironmentApp(
    fn,
    env,
    getRequestId,
    async (secretText): Promise<FunctionUrlHandler> => {
      const built = await buildApp(fn, build, env, secretText);
      const appHandler = handle(built.app);
      return async (event, context) => {
        try {
          // @types/aws-lambda and hono describe the same payload 2.0 event with different types.
          return (await appHandler(
            event as unknown as LambdaEvent,
            context,
          )) as APIGatewayProxyStructuredResultV2;
        } finally {
          await built.afterResponse();
        }
      };
    },
  );

  return async (event, lambdaContext) => {
    currentRequestId = lambdaContext?.awsRequestId;
    let handler: FunctionUrlHandler;
    try {
      handler = await app.get();
    } catch (error) {
      return startFailure(fn, error);
    }
    return handler(event, lambdaContext);
  };
}

export function startFailure(fn: string, error: unknown): APIGatewayProxyStructuredResultV2 {
  const permanent = error instanceof ConfigError;
  logWithoutLogger("error", "start failed", { fn, request_id: currentRequestId }, error);
  return {
    statusCode: permanent ? 500 : 503,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
      ...(permanent ? {} : { "retry-after": "5" }),
    },
    body: permanent ? "swiftboot: configuration error\n" : "swiftboot: starting; retry\n",
    isBase64Encoded: false,
  };
}
