import * as z from "../validation/zod.ts";
import { inventorySchema } from "./inventory.ts";

/**
 * What a booted machine tells swiftboot through its callback URL, and what the node keeps of the
 * last such report. The callback URL itself says which node, state and boot the report is about;
 * the body only says how it went.
 */
export const REPORT_STATUSES = ["done", "fail"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const MAX_REPORT_MESSAGE_BYTES = 1024;

/** At most 1 KiB of UTF-8, printable (tabs and newlines are allowed: installers log lines). */
export const reportMessageSchema = z.string().check(
  z.refine(
    (s) => new TextEncoder().encode(s).length <= MAX_REPORT_MESSAGE_BYTES,
    `must be at most ${MAX_REPORT_MESSAGE_BYTES} bytes`,
  ),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  z.regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, "must be printable text"),
);

export const reportBodySchema = z.strictObject({
  status: z.enum(REPORT_STATUSES),
  message: z.optional(reportMessageSchema),
  inventory: z.optional(inventorySchema),
});
export type ReportBody = z.output<typeof reportBodySchema>;
