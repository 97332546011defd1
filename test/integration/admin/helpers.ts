import { createHash } from "node:crypto";
import type { ImageInput, NodeInput } from "../../../shared/model/index.ts";
import type { AdminStore } from "../../../shared/store/index.ts";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

export const ADMIN_TOKEN = "sbt_integration-admin-0123456789abcdef";
export const READ_TOKEN = "sbt_integration-read-0123456789abcdef";
const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

export const ADMIN_ENV = {
  SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "artifact-key-0123456789abcdef",
  SWIFTBOOT_ADMIN_TOKENS: `admin:${sha256(ADMIN_TOKEN)},read:${sha256(READ_TOKEN)}`,
};

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  body: Record<string, unknown> & { items?: Record<string, unknown>[] };
}

export interface CallOptions {
  body?: unknown;
  /** null: no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface AdminFixture {
  db: TestStore;
  server: TestServer;
  store: AdminStore;
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** The real app on a real socket over a fresh DynamoDB Local table, with both tokens configured. */
export async function startAdmin(
  prefix: string,
  env: Record<string, string> = {},
): Promise<AdminFixture> {
  const db = await createTestStore(prefix);
  const server = await startTestServer(db.store, { ...ADMIN_ENV, ...env });
  return {
    db,
    server,
    store: db.store,
    call: (method, path, options) => callApi(server.url, method, path, options),
    close: () => server.close(),
  };
}

export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  { body, token = ADMIN_TOKEN, headers = {} }: CallOptions = {},
): Promise<ApiAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  return { status: res.status, headers: res.headers, text, body: parsed as ApiAnswer["body"] };
}

export const image = (id: string, extra: Partial<ImageInput> = {}): ImageInput => ({
  id,
  name: `Image ${id}`,
  swift: { container: "images", object: `objects/${id}` },
  ...extra,
});

export const nodeBody = (
  id: string,
  mac: string,
  extra: Partial<NodeInput> = {},
): NodeInput & { macs: string[] } => ({
  id,
  name: `name-${id}`,
  macs: [mac],
  state: "enroll",
  ...extra,
});

/** Polls until `check` passes or `timeoutMs` runs out (for writes that happen after the answer). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}
