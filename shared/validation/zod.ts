/**
 * The zod every core module validates with: zod/mini, the tree-shakeable build with zod's full
 * checking (the same core as classic zod), plus its English messages.
 *
 * Why not classic zod: its method-chaining classes cannot be tree-shaken, and evaluating them
 * (about 190 KB) was over half of the boot function's cold start (bench/cold-start.ts). The
 * admin API still describes these schemas with @hono/zod-openapi, which needs classic zod; it
 * converts them (shared/http/admin/classic-schema.ts) and nothing on the boot path loads it.
 *
 * Classic zod registers English on its first schema; zod/mini registers no locale, so without
 * this every message would be a bare "Invalid input".
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
