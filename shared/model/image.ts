import * as z from "../validation/zod.ts";
import { idSchema, nameSchema } from "./identifiers.ts";

/** A Swift object name: 1-1024 bytes, no NUL, no leading slash, no `.`/`..` segments. */
export const swiftObjectSchema = z.string().check(
  z.minLength(1, "must not be empty"),
  z.refine((s) => new TextEncoder().encode(s).length <= 1024, "must be at most 1024 bytes"),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  z.refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters"),
  z.refine((s) => !s.startsWith("/"), "must not start with /"),
  z.refine(
    (s) => s.split("/").every((seg) => seg !== "." && seg !== ".."),
    "must not contain . or .. path segments",
  ),
);

/** A Swift container name: 1-256 bytes, no slash. */
export const swiftContainerSchema = z.string().check(
  z.minLength(1, "must not be empty"),
  z.refine((s) => new TextEncoder().encode(s).length <= 256, "must be at most 256 bytes"),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  z.refine((s) => !/[/\u0000-\u001f\u007f]/.test(s), "must not contain / or control characters"),
);

export const swiftLocationSchema = z.strictObject({
  /** Defaults to `swift.container` from the configuration. */
  container: z.optional(swiftContainerSchema),
  object: swiftObjectSchema,
});

const originSchema = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .check(z.maxLength(2048, "must be at most 2048 characters"));

export const imageSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  swift: swiftLocationSchema,
  /** Where the artifact cache fills from on a miss (cache mode); defaults to the Swift object. */
  origin: z.optional(originSchema),
  size: z.optional(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
  sha256: z.optional(
    z.pipe(
      z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")),
      z.transform((s: string) => s.toLowerCase()),
    ),
  ),
});

/** What an image looks like once validated. */
export type Image = z.output<typeof imageSchema>;
/** What callers may send (MACs in any form, upper-case hex, ...). */
export type ImageInput = z.input<typeof imageSchema>;
