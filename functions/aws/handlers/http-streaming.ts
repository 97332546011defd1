import type {
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
  LambdaFunctionURLEvent,
} from "aws-lambda";
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
      metadata: { statusCode: number; headers: Record<string, string>; cookies?: string[] },
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

export interface StreamingHandlerOptions {
  /**
   * `stream` (default): the body is piped to the response stream as the app produces it
   * (artifacts: any size, never held whole). `buffer`: the app's answer is read whole, as
   * createHttpHandler reads it, then written at once: for small answers (scripts), and cheaper on
   * a cold start than piping through web streams (bench/cold-start.ts).
   */
  bodies?: "stream" | "buffer";
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
  options: StreamingHandlerOptions = {},
): StreamingHandler {
  const app = lambdaEnvironmentApp(fn, env, getRequestId, async (secretText) => {
    const built = await buildApp(fn, build, env, secretText);
    return {
      // hono's streamHandle ends the response stream before it resolves.
      serve:
        options.bodies === "buffer"
          ? undefined
          : (streamHandle(built.app) as unknown as StreamingHandler),
      buffered: handle(built.app) as unknown as FunctionUrlHandler,
      afterResponse: built.afterResponse,
    };
  });
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    setRequestId(context?.awsRequestId);
    const streamed = invokedThroughFunctionUrl(event);
    let handler: Awaited<ReturnType<typeof app.get>>;
    try {
      handler = await app.get();
    } catch (error) {
      writeWhole(responseStream, startFailure(fn, error), streamed);
      return;
    }
    try {
      if (streamed && handler.serve !== undefined) {
        await handler.serve(event, responseStream, context);
      } else {
        writeWhole(responseStream, await handler.buffered(event, context), streamed);
      }
    } finally {
      await handler.afterResponse();
    }
  });
}

/**
 * A buffered answer, written and ended: as a Function URL's HTTP response (the prelude with
 * status, headers and cookies, then the body), or as the payload 2.0 result itself.
 */
function writeWhole(
  responseStream: ResponseStream,
  answer: APIGatewayProxyStructuredResultV2,
  streamed: boolean,
): void {
  if (!streamed) {
    responseStream.write(JSON.stringify(answer));
    responseStream.end();
    return;
  }
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: answer.statusCode ?? 200,
    headers: (answer.headers ?? {}) as Record<string, string>,
    ...(answer.cookies === undefined || answer.cookies.length === 0
      ? {}
      : { cookies: answer.cookies }),
  });
  const body = answer.body ?? "";
  // Written even when empty: the runtime sends the prelude with the first write.
  stream.write(answer.isBase64Encoded ? Buffer.from(body, "base64") : body);
  stream.end();
}
