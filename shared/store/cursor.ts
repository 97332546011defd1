import * as z from "../validation/zod.ts";
import { InvalidCursorError } from "./errors.ts";

/**
 * Pagination cursors: the position after the last item of a page, as base64url JSON. Opaque to
 * callers, but not secret and not signed: a forged cursor can only move the caller's own walk,
 * and every field is validated before it reaches a query.
 */

export function encodeCursor(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor<S extends z.core.$ZodType>(schema: S, cursor: string): z.output<S> {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw new Error("not base64url");
    parsed = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    throw new InvalidCursorError("cursor: not a cursor from a previous page of this listing");
  }
  const result = z.safeParse(schema, parsed);
  if (!result.success) {
    throw new InvalidCursorError("cursor: not a cursor from a previous page of this listing");
  }
  return result.data;
}

/** Cursor fields shared by the listings: the last id returned. */
export const lastIdSchema = z.string().check(z.minLength(1), z.maxLength(1024));
