import type { Context as LambdaContext, LambdaFunctionURLEvent } from "aws-lambda";
import { streamHandle } from "hono/aws-lambda";
import { lambdaEnvironmentApp } from "../environment/app.ts";
import {
  type AnyEnv,
  type AnyHono,
  buildApp,
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
 * A Function URL handler in RESPONSE_STREAM mode: artifacts are streamed as they are read (from
 * the bucket, or from the origin while filling), never buffered whole, so they are not held to
 * the 6 MB limit of buffered responses; scripts are whole at the client before the boot history
 * is written. Built like createHttpHandler (app per environment, rebuilt when the secret changes;
 * start failures answered). Once the stream has ended, the app's afterResponse work starts and
 * background work is awaited: Lambda freezes the environment when the handler returns, so the
 * invocation (and its billed duration) lasts until they have settled.
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
      afterResponse: built.afterResponse,
    };
  });
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    setRequestId(context?.awsRequestId);
    let handler: { serve: StreamingHandler; afterResponse: () => Promise<void> };
    try {
      handler = await app.get();
    } catch (error) {
      const answer = startFailure(fn, error);
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: answer.statusCode ?? 500,
        headers: (answer.headers ?? {}) as Record<string, string>,
      });
      stream.write(answer.body ?? "");
      stream.end();
      return;
    }
    try {
      await handler.serve(event, responseStream, context);
    } finally {
      await handler.afterResponse();
    }
  });
}
