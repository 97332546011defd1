import { z } from "@hono/zod-openapi";
import type * as core from "zod/v4/core";

/**
 * The model's schemas as classic zod, for @hono/zod-openapi.
 *
 * The core writes its schemas with zod/mini (shared/validation/zod.ts says why); the OpenAPI
 * generator behind @hono/zod-openapi reads classic zod's instance methods (`.meta()`,
 * `.openapi()`), which zod/mini schemas lack. Both builds are thin classes over the same zod core
 * and the same definition objects, so each schema is rebuilt with its classic twin's constructor
 * from its own definition: the checks, refinements and transforms are the very same objects, and
 * the API validates exactly what the store accepts.
 */
export function classic<S extends core.$ZodType>(
  schema: S,
): z.ZodType<core.output<S>, core.input<S>> {
  return toClassic(schema) as z.ZodType<core.output<S>, core.input<S>>;
}

type Constructor = new (def: core.$ZodTypeDef) => z.ZodType;
const CLASSES = z as unknown as Record<string, Constructor | undefined>;
const converted = new WeakMap<core.$ZodType, z.ZodType>();

function toClassic(schema: core.$ZodType): z.ZodType {
  if (schema instanceof z.ZodType) return schema;
  const done = converted.get(schema);
  if (done !== undefined) return done;
  const mini = schema._zod.constr.name;
  const Classic = CLASSES[mini.replace(/^ZodMini/, "Zod")];
  if (Classic === undefined || !mini.startsWith("ZodMini")) {
    throw new Error(`classic-schema: no classic zod class for ${mini}`);
  }
  const def: Record<string, unknown> = { ...schema._zod.def };
  for (const [key, value] of Object.entries(def)) {
    // `checks` hold check instances (shared as they are), not schemas.
    if (key === "checks") continue;
    if (isSchema(value)) def[key] = toClassic(value);
    else if (Array.isArray(value) && value.every(isSchema)) def[key] = value.map(toClassic);
    else if (key === "shape" && typeof value === "object" && value !== null) {
      def[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isSchema(v) ? toClassic(v) : v]),
      );
    }
  }
  const result = new Classic(def as unknown as core.$ZodTypeDef);
  converted.set(schema, result);
  return result;
}

function isSchema(value: unknown): value is core.$ZodType {
  return (
    typeof value === "object" &&
    value !== null &&
    "_zod" in value &&
    typeof (value as core.$ZodType)._zod.def?.type === "string"
  );
}
