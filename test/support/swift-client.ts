/**
 * A tiny authenticated Swift client for tests (fetch only): containers, objects, account and
 * container metadata (Temp-URL-Key, Temp-URL-Key-2), deletes.
 *
 * It does its own percent-encoding (encodeURIComponent per path segment) so that tests of the
 * project's URL code never rely on that code to set up their fixtures.
 *
 * Isolation: the account (AUTH_test from the global setup) is shared by every test file that runs
 * at the same time. Use a container per file and container-level keys; account-level metadata
 * set by one file is seen by all. Tests that must change account keys should use an account of
 * their own (see `SwiftClient.login` with test2:tester2, which only the Swift tests use).
 */
import { request as httpRequest } from "node:http";
import { inject } from "vitest";

export interface SwiftAuth {
  /** e.g. http://127.0.0.1:41234/v1/AUTH_test (no trailing slash) */
  storageUrl: string;
  token: string;
  /** e.g. AUTH_test */
  account: string;
}

/** tempauth / v1 auth: GET <proxy>/auth/v1.0 with X-Auth-User and X-Auth-Key. */
export async function swiftAuthenticate(
  proxyUrl: string,
  user = "test:tester",
  key = "testing",
): Promise<SwiftAuth> {
  const res = await fetch(`${proxyUrl}/auth/v1.0`, {
    headers: { "X-Auth-User": user, "X-Auth-Key": key },
  });
  await res.arrayBuffer();
  const token = res.headers.get("x-auth-token");
  const storageUrl = res.headers.get("x-storage-url");
  if (res.status !== 200 || token === null || storageUrl === null) {
    throw new Error(
      `Swift auth at ${proxyUrl}/auth/v1.0 as ${user} failed: HTTP ${res.status}` +
        (token === null ? ", no X-Auth-Token" : "") +
        (storageUrl === null ? ", no X-Storage-Url" : ""),
    );
  }
  const trimmed = storageUrl.replace(/\/+$/, "");
  const account = decodeURIComponent(new URL(trimmed).pathname.split("/").pop() ?? "");
  return { storageUrl: trimmed, token, account };
}

/** Percent-encodes each "/"-separated segment (object names may contain "/"). */
export function encodeSwiftPath(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}

/** Metadata values; null removes the item (X-Remove-...-Meta-<name>). */
export type SwiftMetadata = Record<string, string | null>;

export type TempUrlKeyScope = { scope: "account" } | { scope: "container"; container: string };

export class SwiftError extends Error {
  override name = "SwiftError";
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url}: HTTP ${status} ${body.slice(0, 200)}`);
  }
}

export class SwiftClient {
  readonly proxyUrl: string;
  readonly storageUrl: string;
  readonly token: string;
  readonly account: string;

  constructor(proxyUrl: string, auth: SwiftAuth) {
    this.proxyUrl = proxyUrl;
    this.storageUrl = auth.storageUrl;
    this.token = auth.token;
    this.account = auth.account;
  }

  /** The client for the account the global setup (test/setup/swift.ts) provides. */
  static fromInject(): SwiftClient {
    return new SwiftClient(inject("swiftProxyUrl"), {
      storageUrl: inject("swiftStorageUrl"),
      token: inject("swiftAuthToken"),
      account: inject("swiftAccount"),
    });
  }

  /** A client for another tempauth user of the same proxy, e.g. test2:tester2 / testing2. */
  static async login(proxyUrl: string, user: string, key: string): Promise<SwiftClient> {
    return new SwiftClient(proxyUrl, await swiftAuthenticate(proxyUrl, user, key));
  }

  /** `/v1/<account>/<container>[/<object>]`, decoded (what a temp URL signs). */
  path(container?: string, object?: string): string {
    let p = `/v1/${this.account}`;
    if (container !== undefined) p += `/${container}`;
    if (object !== undefined) p += `/${object}`;
    return p;
  }

  /** Absolute, percent-encoded URL of the account, a container or an object. */
  url(container?: string, object?: string): string {
    let u = this.storageUrl;
    if (container !== undefined) u += `/${encodeURIComponent(container)}`;
    if (object !== undefined) u += `/${encodeSwiftPath(object)}`;
    return u;
  }

  async request(
    method: string,
    url: string,
    init: {
      headers?: Record<string, string>;
      body?: Uint8Array<ArrayBuffer> | string;
      ok?: number[];
    } = {},
  ): Promise<Response> {
    const res = await fetch(url, {
      method,
      headers: { "X-Auth-Token": this.token, ...init.headers },
      body: init.body,
    });
    const ok = init.ok ?? [200, 201, 202, 204];
    if (!ok.includes(res.status)) {
      throw new SwiftError(method, url, res.status, await res.text());
    }
    return res;
  }

  async putContainer(container: string, headers: Record<string, string> = {}): Promise<void> {
    const res = await this.request("PUT", this.url(container), { headers });
    await res.arrayBuffer();
  }

  /** Uploads an object; returns its ETag (MD5 hex). */
  async putObject(
    container: string,
    object: string,
    body: Uint8Array<ArrayBuffer> | string,
    headers: Record<string, string> = {},
  ): Promise<string> {
    const res = await this.request("PUT", this.url(container, object), { headers, body });
    await res.arrayBuffer();
    return (res.headers.get("etag") ?? "").replace(/"/g, "");
  }

  async getObject(container: string, object: string): Promise<Uint8Array> {
    const res = await this.request("GET", this.url(container, object), { ok: [200] });
    return new Uint8Array(await res.arrayBuffer());
  }

  async headAccount(): Promise<Headers> {
    const res = await this.request("HEAD", this.url());
    return res.headers;
  }

  async headContainer(container: string): Promise<Headers> {
    const res = await this.request("HEAD", this.url(container));
    return res.headers;
  }

  /** POST X-Account-Meta-<name> (null: X-Remove-Account-Meta-<name>). */
  async setAccountMetadata(meta: SwiftMetadata): Promise<void> {
    const res = await this.request("POST", this.url(), { headers: metaHeaders("Account", meta) });
    await res.arrayBuffer();
  }

  /** POST X-Container-Meta-<name> (null: X-Remove-Container-Meta-<name>). */
  async setContainerMetadata(container: string, meta: SwiftMetadata): Promise<void> {
    const res = await this.request("POST", this.url(container), {
      headers: metaHeaders("Container", meta),
    });
    await res.arrayBuffer();
  }

  /**
   * Sets Temp-URL-Key and/or Temp-URL-Key-2 on the account or a container. `undefined` leaves a
   * key as it is, `null` removes it.
   */
  async setTempUrlKeys(
    where: TempUrlKeyScope,
    keys: { key?: string | null; key2?: string | null },
  ): Promise<void> {
    const meta: SwiftMetadata = {};
    if (keys.key !== undefined) meta["Temp-URL-Key"] = keys.key;
    if (keys.key2 !== undefined) meta["Temp-URL-Key-2"] = keys.key2;
    if (where.scope === "account") await this.setAccountMetadata(meta);
    else await this.setContainerMetadata(where.container, meta);
  }

  async deleteObject(container: string, object: string): Promise<void> {
    const res = await this.request("DELETE", this.url(container, object), {
      ok: [200, 204, 404],
    });
    await res.arrayBuffer();
  }

  /** Object names in a container (all pages). */
  async listObjects(container: string): Promise<string[]> {
    const names: string[] = [];
    let marker = "";
    for (;;) {
      const q = `?format=json&limit=1000&marker=${encodeURIComponent(marker)}`;
      const res = await this.request("GET", this.url(container) + q, { ok: [200, 204, 404] });
      if (res.status !== 200) {
        await res.arrayBuffer();
        return names;
      }
      const page = (await res.json()) as { name: string }[];
      if (page.length === 0) return names;
      for (const o of page) names.push(o.name);
      marker = page[page.length - 1]?.name ?? "";
    }
  }

  /** Deletes every object, then the container; a missing container is fine. */
  async deleteContainer(container: string): Promise<void> {
    for (const name of await this.listObjects(container)) await this.deleteObject(container, name);
    const res = await this.request("DELETE", this.url(container), { ok: [204, 404] });
    await res.arrayBuffer();
  }
}

function metaHeaders(kind: "Account" | "Container", meta: SwiftMetadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (value === null) headers[`X-Remove-${kind}-Meta-${name}`] = "x";
    else headers[`X-${kind}-Meta-${name}`] = value;
  }
  return headers;
}

/** A container name unique to one test file run: `<base>-<random>`. */
export function uniqueContainer(base: string): string {
  return `${base}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/**
 * One HTTP/1.1 request with the request target sent byte for byte (fetch would normalise it
 * with the WHATWG URL parser), optionally from a given local address (e.g. 127.0.0.2: all of
 * 127.0.0.0/8 is local on Linux, so Swift sees a different client address).
 */
export function rawHttpRequest(
  origin: string,
  target: string,
  options: { method?: string; localAddress?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const base = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port === "" ? 80 : Number(base.port),
        method: options.method ?? "GET",
        path: target,
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: new Uint8Array(Buffer.concat(chunks)),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}
