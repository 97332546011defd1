import type * as z from "../validation/zod.ts";
import { CONFIG_FILE_ENV, envName } from "./load.ts";
import { optionMeta } from "./options.ts";
import { groups } from "./schema.ts";

const GROUP_INTRO: Record<keyof typeof groups, string> = {
  ipxe: "What the generated iPXE scripts do.",
  swift: "OpenStack Swift temporary URLs (used when `ipxe.use_swift` is true).",
  artifacts: "swiftboot's own signed artifact URLs (used when `ipxe.use_swift` is false).",
  cache:
    "The bucket-backed artifact cache behind those URLs: fills, coalescing, redirects (see docs/artifacts.md).",
  front:
    "A CDN front before the functions (the AWS stack's CloudFront distribution, see docs/deploy.md): the viewer's host in scripts, and CloudFront signed URLs for cached artifacts.",
  store: "The DynamoDB table holding images and nodes.",
  server: "The local HTTP server (`npm start`); ignored on Lambda and Workers.",
  local: "Local runs only.",
  log: "Structured JSON logs, one line per request.",
  admin: "The admin API under `/v1` (see docs/admin-api.md) and per-node boot history.",
  callback: "Callback URLs that booted machines report through (see docs/provisioning.md).",
  discovery:
    "Machines no node matches: the discovered list and the discovery image (see docs/provisioning.md).",
};

/** docs/configuration.md, rendered from the schema; a test keeps the committed file identical. */
export function renderConfigReference(): string {
  const out: string[] = [
    "# Configuration reference",
    "",
    "<!-- Generated from shared/config/schema.ts by `npm run docs:config`; do not edit by hand. -->",
    "",
    "swiftboot validates its whole configuration once at start-up and refuses to start on any",
    "wrong or missing value, with a message naming the variable and what it expects.",
    "",
    "Sources, lowest precedence first: embedded defaults, a YAML or JSON file named by",
    `\`${CONFIG_FILE_ENV}\` (groups as top-level keys, e.g. \`ipxe: { use_swift: true }\`), then`,
    "environment variables `SWIFTBOOT_<GROUP>_<OPTION>`. An unknown `SWIFTBOOT_*` variable is an",
    "error, so a typo never goes unnoticed. Secrets are never logged or echoed in errors.",
    "",
    "Changes without a restart: `npm start` re-reads its config file when the file changes and",
    "applies it at once (a broken edit is refused and logged; `server.*`, `local.*`, `store.*` and",
    "`ipxe.use_swift` still need a restart, and the reload log line names them). Deployed Lambda",
    "functions re-read their secret every `SWIFTBOOT_SECRETS_MAX_AGE` seconds (docs/deploy.md).",
    "",
    "Cross-option rules:",
    "",
    "- `ipxe.use_swift = true` requires `swift.endpoint_url`, `swift.account` and `swift.temp_url_key`.",
    "- `ipxe.use_swift = false` requires `artifacts.signing_key` (`npm start` generates one).",
    "- `front.key_pair_id` and `front.private_key` are set together or not at all.",
    "",
    "Warnings at start (`npm start` prints them; nothing is refused): `ipxe.timeout_ms` from 1 to",
    "999, an https `ipxe.public_url`, a `swift.temp_url_key` under 16 characters, and in cache",
    "mode an image with no `origin` that Swift is not configured to fill. Each is described next",
    "to its option below.",
    "",
  ];
  for (const [group, schema] of Object.entries(groups) as [
    keyof typeof groups,
    z.ZodMiniObject,
  ][]) {
    out.push(`## \`${group}\``, "", GROUP_INTRO[group], "");
    out.push(
      "| option | environment variable | type | default | meaning |",
      "|---|---|---|---|---|",
    );
    for (const [key, option] of Object.entries(schema.shape)) {
      const meta = optionMeta(option as z.core.$ZodType);
      if (meta === undefined)
        throw new Error(`option ${group}.${key} has no documentation metadata`);
      const cells = [
        `\`${group}.${key}\``,
        `\`${envName(group, key)}\``,
        meta.type,
        meta.default.startsWith("(") ? meta.default : `\`${meta.default}\``,
        meta.description.replace(/\|/g, "\\|"),
      ];
      out.push(`| ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  return out.join("\n");
}
