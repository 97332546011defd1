import type * as z from "../validation/zod.ts";

/** One validation problem, named by its dotted path so operators can find the field. */
export interface FieldProblem {
  path: string;
  message: string;
}

export function fieldProblems(error: z.core.$ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** `macs.1: must be a MAC address ...; state: ...` */
export function describeProblems(error: z.core.$ZodError): string {
  return fieldProblems(error)
    .map((p) => `${p.path}: ${p.message}`)
    .join("; ");
}
