import { z } from "zod";
import { idSchema, nameSchema } from "./identifiers.ts";

/** A Swift object name: 1-1024 bytes, no NUL, no leading slash, no `.`/`..` segments. */
export const swiftObjectSchema = z
  .string()
  .min(1, "must not be empty")
  .refine((s) => new TextEncoder().encode(s).length <= 1024, "must be at most 1024 bytes")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters")
  .refine((s) => !s.startsWith("/"), "must not start with /")
  .refine(
    (s) => s.split("/").every((seg) => seg !== "." && seg !== ".."),
    "must not contain . or .. path segments",
  );

/** A Swift container name: 1-256 bytes, no slash. */
export const swiftContainerSchema = z
  .string()
  .min(1, "must not be empty")
  .refine((s) => new TextEncoder().encode(s).length <= 256, "must be at most 256 bytes")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((s) => !/[/\u0000-\u001f\u007f]/.test(s), "must not contain / or control characters");

export const swiftLocationSchema = z.strictObject({
  /** Defaults to `swift.container` from the configuration. */
  container: swiftContainerSchema.optional(),
  object: swiftObjectSchema,
});

const originSchema = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .max(2048, "must be at most 2048 characters");

export const imageSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  swift: swiftLocationSchema,
  /** Where the artifact cache fills from on a miss (cache mode); defaults to the Swift object. */
  origin: originSchema.optional(),
  size: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")
    .transform((s) => s.toLowerCase())
    .optional(),
});

/** What an image looks like once validated. */
export type Image = z.output<typeof imageSchema>;
/** What callers may send (MACs in any form, upper-case hex, ...). */
export type ImageInput = z.input<typeof imageSchema>;
