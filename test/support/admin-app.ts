import { parseConfig } from "../../shared/config/index.ts";
import { createApp } from "../../shared/http/app.ts";
import { sha256Hex } from "../../shared/http/auth/tokens.ts";
import { createMemoryLogger } from "../../shared/log/index.ts";
import type { AdminStore } from "../../shared/store/types.ts";

export const ADMIN_TOKEN = "sbt_test-admin-token-0123456789";
export const READ_TOKEN = "sbt_test-read-token-0123456789";

/** The whole app over an in-memory store with an admin and a read token, for unit tests. */
export async function adminTestApp(store: AdminStore, env: Record<string, string> = {}) {
  const tokens = `admin:${await sha256Hex(ADMIN_TOKEN)},read:${await sha256Hex(READ_TOKEN)}`;
  const config = parseConfig({
    env: {
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "0123456789abcdef-key",
      SWIFTBOOT_ADMIN_TOKENS: tokens,
      ...env,
    },
  });
  const { logger, lines } = createMemoryLogger();
  const app = createApp({ config, store, logger });
  const call = async (
    method: string,
    path: string,
    {
      body,
      token = ADMIN_TOKEN,
      headers = {},
    }: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const res = await app.request(path, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: json as Record<string, unknown>,
    };
  };
  return { app, call, lines };
}
