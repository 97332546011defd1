import type { Context } from "hono";
import type { AnyHono, LambdaRuntime } from "../handlers/http-buffered.ts";

/**
 * Behind the stack's CloudFront distribution a Function URL sees CloudFront's origin request:
 * Host is the Function URL's own name (Origin Access Control signs for it) and the source address
 * is an edge server's. The distribution's viewer-request function (infra/constructs/front.ts)
 * hands the viewer's side on in headers of its own, which it always overwrites, so a viewer
 * cannot choose them; CloudFront sets `CloudFront-Forwarded-Proto` itself. Trusted only with
 * `front.viewer_headers` (the stack sets it only when the Function URLs are AWS_IAM, reachable
 * through the distribution alone).
 */
export const VIEWER_HOST_HEADER = "x-swiftboot-viewer-host";
export const VIEWER_ADDRESS_HEADER = "x-swiftboot-viewer-address";
export const VIEWER_PROTO_HEADER = "cloudfront-forwarded-proto";

/**
 * The request as the viewer made it: same path and query, the viewer's host and scheme (http
 * unless CloudFront says https: what stock iPXE speaks). Without the host header (a request that
 * did not come through the front's function) the request is left as it is. The host is checked
 * where every base URL is (shared/boot/base-url.ts), which answers 400 to a malformed one.
 */
export function viewerRequest(request: Request): Request {
  const host = request.headers.get(VIEWER_HOST_HEADER);
  if (host === null || host === "") return request;
  const scheme = request.headers.get(VIEWER_PROTO_HEADER) === "https" ? "https:" : "http:";
  const own = new URL(request.url);
  let url: URL;
  try {
    url = new URL(`${scheme}//${host}${own.pathname}${own.search}`);
  } catch {
    // Not a host at all: keep the Function URL's own, which scripts never name (no 421 trap).
    return request;
  }
  if (url.host !== host.toLowerCase()) return request;
  const init: RequestInit & { duplex?: "half" } = {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
  };
  if (request.body !== null) {
    init.body = request.body;
    init.duplex = "half";
  }
  return new Request(url, init);
}

/** The viewer's address as the front's function saw it, when the header is there. */
export function viewerAddress(c: Context): string | undefined {
  const address = c.req.header(VIEWER_ADDRESS_HEADER);
  return address === undefined || !/^[0-9a-fA-F.:]{2,45}$/.test(address) ? undefined : address;
}

/**
 * Builds an entry point's app so that, with `front.viewer_headers`, it sees requests under the
 * viewer's URL and address; without it, exactly as `build` makes it.
 */
export async function behindViewerFront(
  runtime: LambdaRuntime,
  build: (runtime: LambdaRuntime) => AnyHono | Promise<AnyHono>,
): Promise<AnyHono> {
  if (!runtime.config.front.viewer_headers) return build(runtime);
  const app = await build({
    ...runtime,
    clientAddress: (c) => viewerAddress(c) ?? runtime.clientAddress(c),
  });
  return {
    fetch: (request: Request, ...rest: unknown[]) =>
      (app.fetch as (request: Request, ...rest: unknown[]) => Response | Promise<Response>)(
        viewerRequest(request),
        ...rest,
      ),
  } as unknown as AnyHono;
}
