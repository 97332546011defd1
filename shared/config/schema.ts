import { z } from "zod";
import { bool, int, oneOf, optionalStr, secret, str, url } from "./options.ts";

/**
 * Every option swiftboot reads. Environment variable names are derived from the path:
 * `ipxe.use_swift` is `SWIFTBOOT_IPXE_USE_SWIFT`. docs/configuration.md is generated from this.
 */
export const groups = {
  ipxe: z.strictObject({
    use_swift: bool(
      false,
      "true: kernel and ramdisk URLs are OpenStack Swift temporary URLs minted per request and nothing is cached; false: they point at swiftboot's own signed artifact route, served from the bucket-backed cache.",
    ),
    public_url: url(
      "Base URL machines use to reach swiftboot (e.g. `http://boot.example:8080`). Must be plain http for stock iPXE builds.",
      "(derived from each request's Host)",
    ),
    retries: int(
      3,
      0,
      50,
      "How many times a script re-chains itself (fetching fresh URLs) after a failed download before taking `fail_action`.",
    ),
    retry_delay: int(5, 1, 300, "Seconds a script sleeps before each retry."),
    timeout_ms: int(
      0,
      0,
      3_600_000,
      "Per-download timeout passed to iPXE's `--timeout`, in milliseconds; 0 means none.",
    ),
    fail_action: oneOf(
      ["exit", "reboot", "shell"] as const,
      "exit",
      "What a script does when it cannot boot: `exit` returns to the firmware (next boot device), `reboot`, or `shell` (iPXE shell, for debugging). `poweroff` is not offered because many iPXE builds lack it.",
    ),
  }),
  swift: z.strictObject({
    endpoint_url: url("Swift proxy URL as machines reach it, e.g. `http://swift.example:8080`."),
    api_version: str("v1", "Swift API version in object paths.", /^v1$/, "expected v1"),
    account: optionalStr(
      "Swift account, e.g. `AUTH_test`.",
      /^[^/\s]+$/,
      "expected an account name without / or spaces",
    ),
    container: optionalStr(
      "Container for images that name none.",
      /^[^/\s]+$/,
      "expected a container name without / or spaces",
    ),
    temp_url_key: secret(
      "Temp URL key (`X-Account-Meta-Temp-URL-Key` or the container's). Required when `ipxe.use_swift` is true. Never logged.",
    ),
    temp_url_duration: int(
      300,
      1,
      86_400,
      "Seconds a temp URL stays valid. Short, because every script request mints new URLs.",
    ),
    temp_url_digest: oneOf(
      ["sha256", "sha1", "sha512"] as const,
      "sha256",
      "HMAC digest for temp URLs; must be in the proxy's `tempurl` `allowed_digests`.",
    ),
    temp_url_expected_download_start_delay: int(
      0,
      0,
      3600,
      "Seconds added to `temp_url_duration` for the time between serving a script and iPXE starting the download.",
    ),
    temp_url_bind_ip: bool(
      false,
      "Bind each temp URL to the requesting machine's address (`temp_url_ip_range`). Only useful when Swift sees the same source address as swiftboot.",
    ),
  }),
  artifacts: z.strictObject({
    signing_key: secret(
      "HMAC key for swiftboot's own artifact URLs (`/v1/artifacts/...`). Required when `ipxe.use_swift` is false; `npm start` generates and keeps one under `local.data_dir`. Never logged.",
    ),
    url_duration: int(300, 1, 86_400, "Seconds an artifact URL stays valid."),
  }),
  store: z.strictObject({
    table: str(
      "swiftboot",
      "DynamoDB table name.",
      /^[A-Za-z0-9_.-]{3,255}$/,
      "expected 3-255 characters of A-Z a-z 0-9 _ . -",
    ),
    endpoint: url(
      "DynamoDB endpoint. Unset: AWS's regional endpoint, except under `npm start`, which starts DynamoDB Local.",
    ),
    region: str(
      "us-east-1",
      "AWS region of the table.",
      /^[a-z0-9-]+$/,
      "expected a region such as eu-west-1",
    ),
    timeout_ms: int(
      2000,
      100,
      30_000,
      "Upper bound on one store lookup; past it a boot request gets 503 with Retry-After.",
    ),
  }),
  server: z.strictObject({
    host: str("127.0.0.1", "Address the local server listens on."),
    port: int(8080, 0, 65_535, "Port the local server listens on (0 picks a free one)."),
  }),
  local: z.strictObject({
    data_dir: str(
      ".data",
      "Directory for local state: DynamoDB Local's data and the generated artifact key.",
    ),
  }),
  log: z.strictObject({
    level: oneOf(["debug", "info", "warn", "error"] as const, "info", "Lowest level written."),
  }),
};

export const configSchema = z
  .strictObject({
    ipxe: groups.ipxe.prefault({}),
    swift: groups.swift.prefault({}),
    artifacts: groups.artifacts.prefault({}),
    store: groups.store.prefault({}),
    server: groups.server.prefault({}),
    local: groups.local.prefault({}),
    log: groups.log.prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.ipxe.use_swift) {
      for (const key of ["endpoint_url", "account", "temp_url_key"] as const) {
        if (config.swift[key] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["swift", key],
            message: "is required when ipxe.use_swift is true",
          });
        }
      }
    } else if (config.artifacts.signing_key === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["artifacts", "signing_key"],
        message: "is required when ipxe.use_swift is false (artifact URLs are signed with it)",
      });
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type GroupName = keyof typeof groups;
