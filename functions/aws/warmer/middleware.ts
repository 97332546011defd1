import type { MiddlewareObj } from "@middy/core";
import type { Context as LambdaContext } from "aws-lambda";
import type { Config } from "../../../shared/config/index.ts";
import { secretsOf } from "../../../shared/config/index.ts";
import type { Logger } from "../../../shared/log/index.ts";
import { lambdaEnvironmentApp } from "../environment/app.ts";
import { lambdaConfig } from "../environment/config.ts";
import { createLambdaLogger } from "../telemetry/logger.ts";

/** What the warmer's handler finds in `context` once the middleware has run. */
export interface WarmerRuntime<D> {
  config: Config;
  logger: Logger;
  /** What `build` made from this configuration: rebuilt with it when the secret changes. */
  deps: D;
}

export type WarmerContext<D> = LambdaContext & { swiftboot: WarmerRuntime<D> };

/**
 * middy middleware: loads the configuration (with its secrets) per execution environment, again
 * when the secret changes (environment/app.ts), creates the logger, builds the handler's
 * dependencies from them (`build`), and hands all three to the handler in `context.swiftboot`.
 * Built in the same step as the configuration, the dependencies never keep a rotated secret. A failed start is retried by the next invocation; the error fails the
 * whole batch, which Lambda retries. `onError` logs what the handler threw before middy rethrows
 * it.
 */
export function warmerRuntime<D>(
  build: (runtime: { config: Config; logger: Logger }) => D,
  env: Record<string, string | undefined> = process.env,
): MiddlewareObj<unknown, unknown, Error, WarmerContext<D>> {
  let requestId: string | undefined;
  const runtime = lambdaEnvironmentApp(
    "cache-warmer",
    env,
    () => requestId,
    async (secretText) => {
      const config = lambdaConfig(env, secretText);
      const logger = createLambdaLogger({
        level: config.log.level,
        secrets: secretsOf(config),
        fn: "cache-warmer",
        requestId: () => requestId,
      });
      return { config, logger, deps: build({ config, logger }) };
    },
  );
  return {
    before: async (request) => {
      requestId = request.context.awsRequestId;
      request.context.swiftboot = await runtime.get();
    },
    onError: async (request) => {
      const error = request.error;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const logger = request.context.swiftboot?.logger;
      if (logger !== undefined) logger.error("batch failed", { error: message });
      else
        process.stdout.write(
          `${JSON.stringify({ level: "error", msg: "start failed", fn: "cache-warmer", request_id: requestId, error: message })}\n`,
        );
    },
  };
}
