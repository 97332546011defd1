import * as z from "../validation/zod.ts";

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

const META = new WeakMap<z.core.$ZodType, OptionMeta>();

export function optionMeta(schema: z.core.$ZodType): OptionMeta | undefined {
  return META.get(schema);
}

type Preprocessed<T extends z.core.$ZodType> = z.ZodMiniType<
  z.output<T>,
  unknown,
  z.core.$ZodPreprocessInternals<T>
>;

/**
 * Environment variables arrive as strings: `fn` turns them into the typed value first. zod/mini
 * has no preprocess(); classic zod's is this same pipe at run time, typed so that an option with
 * a default stays optional in the input type, which this cast restores.
 */
function preprocess<T extends z.core.$ZodType>(
  fn: (value: unknown) => unknown,
  schema: T,
): Preprocessed<T> {
  return z.pipe(z.transform(fn), schema) as unknown as Preprocessed<T>;
}

function withMeta<T extends z.core.$ZodType>(schema: T, meta: OptionMeta): T {
  META.set(schema, meta);
  return schema;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

const boolValue = preprocess(
  (v) => {
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    return TRUE.has(s) ? true : FALSE.has(s) ? false : v;
  },
  z.boolean({ error: "expected true or false" }),
);

export function bool(defaultValue: boolean, description: string) {
  return withMeta(z._default(boolValue, defaultValue), {
    type: "boolean",
    default: String(defaultValue),
    description,
  });
}

function intValue(min: number, max: number) {
  const range = `expected a whole number from ${min} to ${max}`;
  return preprocess(
    (v) => (typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.int({ error: range }).check(z.minimum(min, range), z.maximum(max, range)),
  );
}

export function int(defaultValue: number, min: number, max: number, description: string) {
  return withMeta(z._default(intValue(min, max), defaultValue), {
    type: `integer (${min}-${max})`,
    default: String(defaultValue),
    description,
  });
}

function patternString(pattern: RegExp | undefined, hint: string | undefined) {
  return pattern
    ? z.string().check(z.regex(pattern, hint ?? `expected to match ${pattern}`))
    : z.string();
}

export function str(defaultValue: string, description: string, pattern?: RegExp, hint?: string) {
  return withMeta(z._default(patternString(pattern, hint), defaultValue), {
    type: "string",
    default: defaultValue === "" ? "(empty)" : defaultValue,
    description,
  });
}

export function optionalStr(description: string, pattern?: RegExp, hint?: string) {
  return withMeta(
    preprocess((v) => (v === "" ? undefined : v), z.optional(patternString(pattern, hint))),
    { type: "string", default: "(unset)", description },
  );
}

export function url(description: string, defaultNote = "(unset)") {
  return withMeta(
    preprocess(
      (v) => (v === "" ? undefined : v),
      z.optional(
        z.pipe(
          z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
          z.transform((s: string) => s.replace(/\/+$/, "")),
        ),
      ),
    ),
    { type: "URL", default: defaultNote, description },
  );
}

/** A secret of at least `minLength` characters (16 by default: keys swiftboot itself signs with). */
export function secret(description: string, minLength = 16) {
  const message =
    minLength === 1 ? "expected a non-empty key" : `expected at least ${minLength} characters`;
  return withMeta(
    preprocess(
      (v) => (v === "" ? undefined : v),
      z.optional(z.string().check(z.minLength(minLength, message))),
    ),
    {
      type:
        minLength === 1 ? "secret string (non-empty)" : `secret string (${minLength}+ characters)`,
      default: "(unset)",
      description,
      secret: true,
    },
  );
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  defaultValue: T[number],
  description: string,
) {
  return withMeta(
    z._default(
      z.enum(values, { error: `expected one of ${values.join(", ")}` }),
      defaultValue as never,
    ),
    { type: values.join(" \\| "), default: defaultValue, description },
  );
}
