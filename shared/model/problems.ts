import type * as z from "../validation/zod.ts";

/** One validation problem, named by its dotted path so operators can find the field. */
export interface FieldProblem {
  path: string;
  message: string;
}

const dotted = (path: readonly PropertyKey[]) =>
  path.length === 0 ? "(root)" : path.map(String).join(".");

/**
 * Every issue at its own path. An unknown key is reported at the key itself (`colour`,
 * `swift.extra`), one problem per key, not at the object holding it, so a person finds the typo.
 */
export function fieldProblems(error: z.core.$ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          path: dotted([...issue.path, key]),
          message: "unknown field (check its spelling)",
        }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );
}

/** `macs.1: must be a MAC address ...; state: ...` */
export function describeProblems(error: z.core.$ZodError): string {
  return fieldProblems(error)
    .map((p) => `${p.path}: ${p.message}`)
    .join("; ");
}
