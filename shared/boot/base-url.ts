import type { Config } from "../config/index.ts";

/**
 * The base URL machines use to reach swiftboot: `ipxe.public_url` when set, else
 * `http(s)://host[:port]` of the request, whose host comes from an untrusted Host header and ends
 * up in scripts. WHATWG URL parsing lets `$`, `{`, `}`, `'`, `&` and more through in host names,
 * so the host is held to DNS names, IPv4 and bracketed IPv6 here.
 */
export class InvalidBaseUrlError extends Error {
  override name = "InvalidBaseUrlError";
  /** What the HTTP layer answers. */
  readonly status = 400;
}

const DNS_LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const DNS_NAME = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`);
const IPV6 = /^\[[0-9a-f:.]{2,45}\]$/;
const PORT = /^[0-9]{1,5}$/;

export function baseUrlFromRequest(config: Config, requestUrl: string | URL): string {
  if (config.ipxe.public_url !== undefined) return config.ipxe.public_url;
  let url: URL;
  try {
    url = typeof requestUrl === "string" ? new URL(requestUrl) : requestUrl;
  } catch {
    throw new InvalidBaseUrlError("the request URL cannot be parsed");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidBaseUrlError(`unsupported scheme ${url.protocol}`);
  }
  const { hostname, port } = url;
  if (hostname.length > 253 || !(DNS_NAME.test(hostname) || IPV6.test(hostname))) {
    throw new InvalidBaseUrlError("the Host header is not a plain host name or address");
  }
  if (port !== "" && !PORT.test(port))
    throw new InvalidBaseUrlError("the Host header has a bad port");
  return `${url.protocol}//${hostname}${port === "" ? "" : `:${port}`}`;
}

const ORIGIN = /^https?:\/\/[^/\\?#]+/;

/** Hosts remembered per resolver at most; past it the memo starts over (Host is untrusted). */
const MAX_REMEMBERED_ORIGINS = 64;

/**
 * baseUrlFromRequest for request URLs given as strings, remembering the answer per scheme and
 * host: every machine of a site reaches swiftboot by the same one or two names, so each script
 * would parse its URL only to find the same base URL again. The memo's key is the URL's start,
 * `http(s)://` and the host part up to the first character that ends it for a URL parser (`/`,
 * `\\`, `?`, `#`): all the answer depends on. Other shapes are not remembered. A refused host is
 * refused again.
 */
export function baseUrlResolver(config: Config): (requestUrl: string) => string {
  const known = new Map<string, string | InvalidBaseUrlError>();
  // The last good answer, checked first without a regexp or a hash (one name serves most sites).
  let lastKey = "";
  let lastAnswer = "";
  return (requestUrl) => {
    if (config.ipxe.public_url !== undefined) return config.ipxe.public_url;
    if (lastKey !== "" && requestUrl.startsWith(lastKey) && endsHost(requestUrl, lastKey.length)) {
      return lastAnswer;
    }
    const key = ORIGIN.exec(requestUrl)?.[0];
    if (key === undefined) return baseUrlFromRequest(config, requestUrl);
    let answer = known.get(key);
    if (answer === undefined) {
      try {
        answer = baseUrlFromRequest(config, requestUrl);
      } catch (error) {
        if (!(error instanceof InvalidBaseUrlError)) throw error;
        answer = error;
      }
      if (known.size >= MAX_REMEMBERED_ORIGINS) known.clear();
      known.set(key, answer);
    }
    if (answer instanceof InvalidBaseUrlError) throw new InvalidBaseUrlError(answer.message);
    lastKey = key;
    lastAnswer = answer;
    return answer;
  };
}

/** Whether the host part of `url` ends at `at`: the end, or `/`, `\\`, `?`, `#` there. */
function endsHost(url: string, at: number): boolean {
  if (at === url.length) return true;
  const code = url.charCodeAt(at);
  return code === 0x2f || code === 0x5c || code === 0x3f || code === 0x23;
}
