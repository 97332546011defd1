import type * as z from "../validation/zod.ts";
import { optionMeta } from "./options.ts";
import { type Config, groups } from "./schema.ts";

/** The configuration with every secret replaced, safe to log or print. */
export function redactConfig(config: Config): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, schema] of Object.entries(groups) as [keyof Config, z.ZodMiniObject][]) {
    const values = { ...(config[group] as Record<string, unknown>) };
    for (const [key, option] of Object.entries(schema.shape)) {
      if (optionMeta(option as z.core.$ZodType)?.secret && values[key] !== undefined)
        values[key] = "[redacted]";
    }
    out[group] = values;
  }
  return out;
}

/** Every secret value in the configuration, for redaction of free text such as error messages. */
export function secretsOf(config: Config): string[] {
  const found: string[] = [];
  for (const [group, schema] of Object.entries(groups) as [keyof Config, z.ZodMiniObject][]) {
    for (const [key, option] of Object.entries(schema.shape)) {
      const value = (config[group] as Record<string, unknown>)[key];
      if (optionMeta(option as z.core.$ZodType)?.secret && typeof value === "string")
        found.push(value);
    }
  }
  return found;
}
