import { parse as parseYaml } from "yaml";
import { describeProblems } from "../model/index.ts";
import * as z from "../validation/zod.ts";

/**
 * An import file: `images` and `nodes`, both optional lists. Records stay unvalidated here, so a
 * bad record fails alone (with its index, name and field) when imported, not the whole file.
 */
export interface ImportDocument {
  images?: readonly unknown[];
  nodes?: readonly unknown[];
}

export type ImportFormat = "yaml" | "json";

/** The file as a whole cannot be read: syntax, or not the `{ images, nodes }` shape. */
export class ImportDocumentError extends Error {
  override name = "ImportDocumentError";
}

const documentSchema = z.strictObject({
  images: z.optional(z.array(z.unknown(), "must be a list of images")),
  nodes: z.optional(z.array(z.unknown(), "must be a list of nodes")),
});

export function parseImportDocument(text: string, format: ImportFormat): ImportDocument {
  let value: unknown;
  try {
    // yaml reads YAML 1.2, where an unquoted 52:54:00:12:34:56 is a string (1.1 made it a number).
    value = format === "yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ImportDocumentError(
      `not valid ${format.toUpperCase()}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (value === null || value === undefined) return {}; // an empty file imports nothing
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ImportDocumentError("must be a mapping with `images` and/or `nodes` lists");
  }
  const result = documentSchema.safeParse(value);
  if (!result.success) throw new ImportDocumentError(describeProblems(result.error));
  return result.data;
}
