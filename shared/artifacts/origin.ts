import { OriginError } from "../cache/errors.ts";
import type { OpenedOrigin } from "../cache/fill.ts";
import { idleTimeout } from "../cache/verify.ts";
import type { Config } from "../config/index.ts";
import type { Image } from "../model/index.ts";
import { signTempUrlQueryAsync, type TempUrlDigest, toUrlPath } from "../tempurl/index.ts";

/**
 * Where a cache fill reads an image from: its `origin` URL when it has one, else its Swift object
 * through a temp URL swiftboot signs for itself (so Swift needs no other credentials for us).
 */
export interface OriginSettings {
  /** Set when `swift.endpoint_url`, `swift.account` and `swift.temp_url_key` are all configured. */
  swift?: {
    endpoint: string;
    accountPrefix: string;
    key: string;
    digest: TempUrlDigest;
    defaultContainer: string | undefined;
    /** Seconds the temp URL is valid: Swift checks it when the request starts, not after. */
    lifetime: number;
  };
  /** A fill fails when the origin leaves a read unanswered this long (connect included). */
  idleTimeoutMs: number;
  /**
   * How the origin is fetched; the global fetch by default (Workers). Node passes the undici
   * package's (functions/node/origin-fetch.ts): Node's built-in fetch can crash the process on
   * large bodies (nodejs/undici#5360).
   */
  fetch?: OriginFetch;
}

/** The one request a fill makes: a GET of `url`. The global fetch is one. */
export type OriginFetch = (url: string, init: OriginRequestInit) => Promise<Response>;

export interface OriginRequestInit {
  headers: Record<string, string>;
  signal: AbortSignal;
  redirect: "follow";
}

export function originSettings(config: Config): OriginSettings {
  const { swift, cache } = config;
  const settings: OriginSettings = { idleTimeoutMs: cache.origin_timeout_ms };
  if (
    swift.endpoint_url !== undefined &&
    swift.account !== undefined &&
    swift.temp_url_key !== undefined
  ) {
    settings.swift = {
      endpoint: swift.endpoint_url.replace(/\/+$/, ""),
      accountPrefix: `/${swift.api_version}/${swift.account}/`,
      key: swift.temp_url_key,
      digest: swift.temp_url_digest,
      defaultContainer: swift.container,
      lifetime: swift.temp_url_duration,
    };
  }
  return settings;
}

/** The URL a fill fetches. Throws OriginError("no-origin") when the image has none. */
export async function originUrl(
  image: Image,
  settings: OriginSettings,
  nowSeconds: number,
): Promise<string> {
  if (image.origin !== undefined) return image.origin;
  const swift = settings.swift;
  const container = image.swift.container ?? swift?.defaultContainer;
  if (swift === undefined || container === undefined) {
    throw new OriginError(
      `image ${image.id} has no origin URL, and swift.endpoint_url, swift.account, swift.temp_url_key${container === undefined ? " and a container" : ""} are needed to fill it from Swift`,
      "no-origin",
    );
  }
  const path = `${swift.accountPrefix}${container}/${image.swift.object}`;
  const query = await signTempUrlQueryAsync({
    path,
    key: swift.key,
    method: "GET",
    expires: Math.floor(nowSeconds) + swift.lifetime,
    digest: swift.digest,
  });
  return `${swift.endpoint}${toUrlPath(path)}?${query}`;
}

/**
 * GETs the origin and checks what can be checked before any byte is used: status 200, no
 * content coding (fetch would decode it, and the sha256 is of the stored bytes), and a
 * Content-Length that agrees with the image's size. The caller owns `body` and must consume or
 * cancel it.
 */
export async function openOrigin(
  image: Image,
  settings: OriginSettings,
  nowSeconds: number,
  signal?: AbortSignal,
): Promise<OpenedOrigin> {
  const url = await originUrl(image, settings, nowSeconds);
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const connectTimer = setTimeout(
    () =>
      abort.abort(
        new OriginError(`origin did not answer in ${settings.idleTimeoutMs} ms`, "timeout"),
      ),
    settings.idleTimeoutMs,
  );
  let response: Response;
  try {
    response = await (settings.fetch ?? fetch)(url, {
      headers: { "accept-encoding": "identity" },
      signal: abort.signal,
      redirect: "follow",
    });
  } catch (error) {
    signal?.removeEventListener("abort", onAbort);
    const reason = abort.signal.reason;
    if (reason instanceof OriginError) throw reason;
    throw new OriginError(
      `origin for image ${image.id} unreachable: ${describe(error)}`,
      "unreachable",
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(connectTimer);
  }
  signal?.removeEventListener("abort", onAbort);

  const discard = (error: OriginError): never => {
    response.body?.cancel(error).catch(() => {});
    throw error;
  };
  if (response.status !== 200 || response.body === null) {
    discard(
      new OriginError(`origin for image ${image.id} answered HTTP ${response.status}`, "status", {
        status: response.status,
      }),
    );
  }
  const coding = response.headers.get("content-encoding");
  if (coding !== null && coding.toLowerCase() !== "identity") {
    discard(
      new OriginError(`origin for image ${image.id} sent Content-Encoding ${coding}`, "encoding"),
    );
  }
  const length = response.headers.get("content-length");
  const size = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  if (size !== undefined && image.size !== undefined && size !== image.size) {
    discard(
      new OriginError(
        `origin for image ${image.id} has ${size} bytes; the image record says ${image.size}`,
        "size-mismatch",
      ),
    );
  }
  return {
    body: idleTimeout(response.body as ReadableStream<Uint8Array>, settings.idleTimeoutMs),
    size,
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
