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
  settleBackgroundWork,
  startFailure,
  withWaitUntil,
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
 * the 6 MB limit of buffered responses. Built like createHttpHandler (app per environment,
 * rebuilt when the secret changes; start failures answered); background work is awaited after
 * the stream has ended.
 */
export function createStreamingHandler(
  fn: string,
  build: (runtime: LambdaRuntime) => AnyHono | Promise<AnyHono>,
  env: AnyEnv = process.env,
): StreamingHandler {
  const app = lambdaEnvironmentApp(
    fn,
    env,
    getRequestId,
    async (secretText) =>
      streamHandle(
        withWaitUntil(await buildApp(fn, build, env, secretText)),
      ) as unknown as StreamingHandler,
  );
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    setRequestId(context?.awsRequestId);
    let handler: StreamingHandler;
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
      await handler(event, responseStream, context);
    } finally {
      await settleBackgroundWork();
    }
  });
}
