import {
  type FieldProblem,
  fieldProblems,
  type ReportBody,
  reportBodySchema,
} from "../model/index.ts";
import * as z from "../validation/zod.ts";

/**
 * A report's body, as busybox `wget --post-data 'status=done'`, `curl -d status=fail -d
 * message=...` (form encoding) or a JSON-speaking agent sends it. In a form, `inventory` is the
 * inventory's JSON text. Every field is checked; unknown fields are refused rather than ignored,
 * so a typo (`stauts=done`) is an error the installer's log shows, not a silent no-op.
 */
export const MAX_REPORT_BODY_BYTES = 80 * 1024;

export type ParsedReport =
  | { ok: true; body: ReportBody }
  | { ok: false; kind: "validation"; errors: FieldProblem[] }
  | { ok: false; kind: "unsupported-media-type" };

const FORM_FIELDS = new Set(["status", "message", "inventory"]);

export function parseReportBody(contentType: string | undefined, text: string): ParsedReport {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  let value: unknown;
  if (type === "application/json") {
    try {
      value = JSON.parse(text);
    } catch {
      return invalid("(root)", "is not valid JSON");
    }
  } else if (type === "" || type === "application/x-www-form-urlencoded" || type === "text/plain") {
    const form = new URLSearchParams(text.trim());
    const fields: Record<string, unknown> = {};
    for (const [key, field] of form) {
      if (!FORM_FIELDS.has(key))
        return invalid(key, "is not a report field (status, message, inventory)");
      if (key in fields) return invalid(key, "is given more than once");
      fields[key] = field;
    }
    if (typeof fields.inventory === "string") {
      try {
        fields.inventory = JSON.parse(fields.inventory);
      } catch {
        return invalid("inventory", "is not valid JSON");
      }
    }
    value = fields;
  } else {
    return { ok: false, kind: "unsupported-media-type" };
  }
  const parsed = z.safeParse(reportBodySchema, value);
  return parsed.success
    ? { ok: true, body: parsed.data }
    : { ok: false, kind: "validation", errors: fieldProblems(parsed.error) };
}

function invalid(path: string, message: string): ParsedReport {
  return { ok: false, kind: "validation", errors: [{ path, message }] };
}
