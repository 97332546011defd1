import type { Command } from "commander";
import { API_TOKEN_ENV, API_URL_ENV } from "../../../shared/config/index.ts";
import { CliFailure, type CliIo } from "../io.ts";
import { type RequestSigner, sigv4Region, sigv4Signer } from "./sigv4.ts";

/**
 * The CLI's side of the admin API (docs/admin-api.md): where it is (`--url`, else
 * SWIFTBOOT_API_URL), the bearer token (SWIFTBOOT_API_TOKEN, never a flag, so it stays out of
 * shell history and process lists) or, without one, SigV4 from the AWS credential chain for the
 * AWS admin Function URL (sigv4.ts), and failures as the API's problem details.
 */

export interface ApiAnswer<T = unknown> {
  status: number;
  /** The version from the ETag header (`"3"` → 3), when there is one. */
  version?: number;
  body: T;
}

/** An answer of 4xx/5xx: its message is the problem's title, detail and field errors. */
export class ApiFailure extends CliFailure {
  override name = "ApiFailure";
  constructor(
    readonly status: number,
    readonly problem: Record<string, unknown>,
  ) {
    const errors = Array.isArray(problem.errors)
      ? (problem.errors as { path?: unknown; message?: unknown }[]).map(
          (e) => `\n  ${String(e.path)}: ${String(e.message)}`,
        )
      : [];
    const title = typeof problem.title === "string" ? problem.title : "request failed";
    const detail = typeof problem.detail === "string" ? `: ${problem.detail}` : "";
    super(`API answered ${status} ${title}${detail}${errors.join("")}`);
  }
}

export class ApiClient {
  readonly baseUrl: string;
  constructor(
    url: string,
    private readonly token: string | undefined,
    /** SigV4 instead of a bearer token (the admin API on AWS: sigv4.ts). */
    private readonly sign?: RequestSigner,
  ) {
    this.baseUrl = url.replace(/\/+$/, "");
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    { body, ifMatch }: { body?: unknown; ifMatch?: string } = {},
  ): Promise<ApiAnswer<T>> {
    const url = new URL(`${this.baseUrl}${path}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = {
      accept: "application/json, application/problem+json",
      ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(ifMatch === undefined ? {} : { "if-match": ifMatch }),
    };
    if (this.sign !== undefined) headers = await this.sign(url, method, headers, text);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(text === undefined ? {} : { body: text }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliFailure(
        `cannot reach the admin API at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const answer = await res.text();
    let parsed: unknown;
    try {
      parsed = answer === "" ? undefined : JSON.parse(answer);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const problem =
        typeof parsed === "object" && parsed !== null
          ? (parsed as Record<string, unknown>)
          : { title: res.statusText, detail: answer.trim().slice(0, 200) };
      throw new ApiFailure(res.status, problem);
    }
    const etag = /^(?:W\/)?"(\d+)"$/.exec(res.headers.get("etag") ?? "");
    return {
      status: res.status,
      ...(etag === null ? {} : { version: Number(etag[1]) }),
      body: parsed as T,
    };
  }

  /** Every item of a paginated listing, page by page. */
  async *pages<T>(path: string, query: URLSearchParams): AsyncGenerator<T[]> {
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams(query);
      if (cursor !== undefined) q.set("cursor", cursor);
      const { body } = await this.request<{ items: T[]; next_cursor?: string }>(
        "GET",
        `${path}?${q}`,
      );
      yield body.items;
      cursor = body.next_cursor;
    } while (cursor !== undefined);
  }
}

export interface ApiOptions {
  url?: string;
  json?: boolean;
}

/** `--url` and `--json`, shared by every command that talks to the API. */
export function withApiOptions(command: Command): Command {
  return command
    .option("--url <url>", `admin API base URL (default: $${API_URL_ENV})`)
    .option("--json", "print JSON for scripts instead of a table");
}

export function apiClient(io: CliIo, options: ApiOptions): ApiClient {
  const url = options.url ?? io.env[API_URL_ENV];
  if (url === undefined || url === "") {
    throw new CliFailure(
      `no admin API URL: pass --url or set ${API_URL_ENV} (e.g. http://127.0.0.1:8080)`,
    );
  }
  if (!/^https?:\/\//.test(url)) throw new CliFailure(`--url must be an http(s) URL, not ${url}`);
  const token = io.env[API_TOKEN_ENV];
  if (token !== undefined && token !== "") return new ApiClient(url, token);
  // No token: a Lambda Function URL (AWS_IAM) or SWIFTBOOT_API_AWS_REGION gets SigV4.
  const region = sigv4Region(url, io.env);
  return new ApiClient(
    url,
    undefined,
    region === undefined ? undefined : sigv4Signer(region, io.awsCredentials),
  );
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** One record, a list of them, or `{ <key>: [...] }` (an import file): the records. */
export function recordsIn(document: unknown, key: "images" | "nodes"): unknown[] {
  if (Array.isArray(document)) return document;
  if (typeof document === "object" && document !== null && key in document) {
    const list = (document as Record<string, unknown>)[key];
    if (!Array.isArray(list)) throw new CliFailure(`${key}: must be a list`);
    return list;
  }
  if (typeof document === "object" && document !== null) return [document];
  throw new CliFailure(`expected a ${key.slice(0, -1)}, a list of them, or { ${key}: [...] }`);
}
