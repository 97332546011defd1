import { z } from "zod";

/**
 * Option builders. Each returns a zod schema that accepts both typed values (from a config file)
 * and strings (from environment variables), and carries the metadata that docs/configuration.md
 * is generated from, so the reference cannot drift from what is validated.
 */
export interface OptionMeta {
  type: string;
  default: string;
  description: string;
  secret?: boolean;
}

const META = new WeakMap<z.ZodType, OptionMeta>();

export function optionMeta(schema: z.ZodType): OptionMeta | undefined {
  return META.get(schema);
}

function withMeta<T extends z.ZodType>(schema: T, meta: OptionMeta): T {
  META.set(schema, meta);
  return schema;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

const boolValue = z.preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    return TRUE.has(s) ? true : FALSE.has(s) ? false : v;
  },
  z.boolean({ error: "expected true or false" }),
);

export function bool(defaultValue: boolean, description: string) {
  return withMeta(boolValue.default(defaultValue), {
    type: "boolean",
    default: String(defaultValue),
    description,
  });
}

function intValue(min: number, max: number) {
  const range = `expected a whole number from ${min} to ${max}`;
  return z.preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.int({ error: range }).min(min, range).max(max, range),
  );
}

export function int(defaultValue: number, min: number, max: number, description: string) {
  return withMeta(intValue(min, max).default(defaultValue), {
    type: `integer (${min}-${max})`,
    default: String(defaultValue),
    description,
  });
}

export function str(defaultValue: string, description: string, pattern?: RegExp, hint?: string) {
  const base = pattern
    ? z.string().regex(pattern, hint ?? `expected to match ${pattern}`)
    : z.string();
  return withMeta(base.default(defaultValue), {
    type: "string",
    default: defaultValue === "" ? "(empty)" : defaultValue,
    description,
  });
}

export function optionalStr(description: string, pattern?: RegExp, hint?: string) {
  const base = pattern
    ? z.string().regex(pattern, hint ?? `expected to match ${pattern}`)
    : z.string();
  return withMeta(
    z.preprocess((v) => (v === "" ? undefined : v), base.optional()),
    { type: "string", default: "(unset)", description },
  );
}

export function url(description: string, defaultNote = "(unset)") {
  return withMeta(
    z.preprocess(
      (v) => (v === "" ? undefined : v),
      z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .transform((s) => s.replace(/\/+$/, ""))
        .optional(),
    ),
    { type: "URL", default: defaultNote, description },
  );
}

export function secret(description: string) {
  return withMeta(
    z.preprocess(
      (v) => (v === "" ? undefined : v),
      z.string().min(16, "expected at least 16 characters").optional(),
    ),
    { type: "secret string", default: "(unset)", description, secret: true },
  );
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
  description: string,
) {
  return withMeta(
    z
      .enum(values, { error: `expected one of ${values.join(", ")}` })
      .default(defaultValue as never),
    { type: values.join(" \\| "), default: defaultValue, description },
  );
}
