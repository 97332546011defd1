/** Shared bits of the Swift integration tests (not a test file). */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { expect } from "vitest";

export const DIGESTS = ["sha1", "sha256", "sha512"] as const;

/** Swift's answer to every rejected temp URL. */
export const TEMP_URL_INVALID = "401 Unauthorized: Temp URL invalid";

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A Unix time an hour from now. */
export function inAnHour(): number {
  return nowSeconds() + 3600;
}

export function randomKey(label = "key"): string {
  return `${label}-${randomUUID()}`;
}

export function randomObject(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(randomBytes(size));
}

/** Fetches a URL as is and returns status and body bytes. */
export async function get(
  url: string,
  method = "GET",
): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const res = await fetch(url, { method });
  return {
    status: res.status,
    headers: res.headers,
    body: new Uint8Array(await res.arrayBuffer()),
  };
}

/** Asserts Swift's temp URL rejection: 401 with its fixed body. */
export async function expectDenied(url: string, method = "GET"): Promise<void> {
  const res = await fetch(url, { method });
  const body = await res.text();
  expect({ status: res.status, body: method === "HEAD" ? "" : body.trim() }).toEqual({
    status: 401,
    body: method === "HEAD" ? "" : TEMP_URL_INVALID,
  });
}

/** Replaces one query parameter's raw value, leaving everything else byte for byte. */
export function withParam(url: string, name: string, value: string | undefined): string {
  const q = url.indexOf("?");
  const parts = url
    .slice(q + 1)
    .split("&")
    .flatMap((p) => {
      const k = p.split("=", 1)[0];
      if (k !== name) return [p];
      return value === undefined ? [] : [`${name}=${value}`];
    });
  return `${url.slice(0, q)}?${parts.join("&")}`;
}

/** The raw value of a query parameter. */
export function param(url: string, name: string): string | undefined {
  const q = url.indexOf("?");
  for (const p of url.slice(q + 1).split("&")) {
    const eq = p.indexOf("=");
    if ((eq === -1 ? p : p.slice(0, eq)) === name) return eq === -1 ? "" : p.slice(eq + 1);
  }
  return undefined;
}
