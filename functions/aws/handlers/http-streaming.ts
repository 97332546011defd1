import type { Context as LambdaContext, LambdaFunctionURLEvent } from "aws-lambda";
import { handle, streamHandle } from "hono/aws-lambda";
import { lambdaEnvironmentApp } from "../environment/app.ts";
import {
  type AnyEnv,
  type AnyHono,
  buildApp,
  type FunctionUrlHandler,
  getRequestId,
  type LambdaRuntime,
  setRequestId,
  startFailure,
} from "./http-buffered.ts";

/** The Node.js runtime's response streaming API (a global in Lambda, emulated by the tests). */
interface ResponseStream {
  write(chunk: string | Uint8Array): boolean;
  end(): void;
}
type StreamingHandler = (
  event: LambdaFunctionURLEvent,
  responseStream: ResponseStream,
  context: LambdaContext,
) => Promise<void>;
declare const awslambda: {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: {
    from(
      stream: ResponseStream,
      metadata: { statusCode: number; headers: Record<string, string> },
    ): ResponseStream;
  };
};

/**
 * Function URLs name themselves in the event (`<url-id>.lambda-url.<region>.on.aws`, also behind
 * CloudFront); API Gateway names its own host or a custom domain.
 */
const FUNCTION_URL_DOMAIN = /\.lambda-url\.[a-z0-9-]+\.on\./;

/**
 * Whether the invocation came through a RESPONSE_STREAM Function URL, which reads the stream as
 * an HTTP response (a JSON prelude, then the body). Anything else (an API Gateway HTTP API, whose
 * Lambda integrations cannot stream, or `sam local start-api`) invokes the function buffered
 * and takes whatever was written to the stream as the payload: a payload 2.0 result.
 */
export function invokedThroughFunctionUrl(event: unknown): boolean {
  const domain = (event as { requestContext?: { domainName?: unknown } } | undefined)
    ?.requestContext?.domainName;
  return typeof domain === "string" && FUNCTION_URL_DOMAIN.test(domain);
}

/**
 * A Function URL handler in RESPONSE_STREAM mode: artifacts are streamed as they are read (from
 * the bucket, or from the origin while filling), never buffered whole, so they are not held to
 * the 6 MB limit of buffered responses; scripts are whole at the client before the boot history
 * is written. Built like createHttpHandler (app per environment, rebuilt when the secret changes;
 * start failures answered). Once the stream has ended, the app's afterResponse work starts and
 * background work is awaited: Lambda freezes the environment when the handler returns, so the
 * invocation (and its billed duration) lasts until they have settled.
 *
 * Invoked other than through a Function URL (invokedThroughFunctionUrl), it writes the buffered
 * payload 2.0 result instead, as createHttpHandler would return it.
 */
export function createStreamingHandler(
  fn: string,
  build: (runtime: LambdaRuntime) => AnyHono | Promise<AnyHono>,
  env: AnyEnv = process.env,
): StreamingHandler {
  const app = lambdaEnvironmentApp(fn, env, getRequestId, async (secretText) => {
    const built = await buildApp(fn, build, env, secretText);
    return {
      // hono's streamHandle ends the response stream before it resolves.
      serve: streamHandle(built.app) as unknown as StreamingHandler,
      buffered: handle(built.app) as unknown as FunctionUrlHandler,
      afterResponse: built.afterResponse,
    };
  });
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    setRequestId(context?.awsRequestId);
    const streamed = invokedThroughFunctionUrl(event);
    let handler: {
      serve: StreamingHandler;
      buffered: FunctionUrlHandler;
      afterResponse: () => Promise<void>;
    };
    try {
      handler = await app.get();
    } catch (error) {
      const answer = startFailure(fn, error);
      if (!streamed) {
        responseStream.write(JSON.stringify(answer));
        responseStream.end();
        return;
      }
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: answer.statusCode ?? 500,
        headers: (answer.headers ?? {}) as Record<string, string>,
      });
      stream.write(answer.body ?? "");
      stream.end();
      return;
    }
    try {
      if (streamed) {
        await handler.serve(event, responseStream, context);
      } else {
        const result = await handler.buffered(event, context);
        responseStream.write(JSON.stringify(result));
        responseStream.end();
      }
    } finally {
      await handler.afterResponse();
    }
  });
}
