import { chainUrlFor, chainUrlProblem } from "../ipxe-binaries/slot.ts";
import * as z from "../validation/zod.ts";
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
      "Base URL machines use to reach swiftboot (e.g. `http://boot.example:8080`), shown in the start banner. Its scheme decides the scheme of every URL in the scripts: https needs an HTTPS-capable iPXE (swiftboot's own builds, docs/ipxe.md); stock iPXE builds have no TLS, so an https URL gets a warning at start. At most 246 characters, so that `<public_url>/boot.ipxe` fits the chain URL slot of swiftboot's iPXE binaries.",
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
      "Per-download timeout passed to iPXE's `--timeout`, in milliseconds; 0 means none. A value from 1 to 999 gets a warning at start: Ironic's `ipxe_timeout` is in seconds, so its 60 is 60000 here.",
    ),
    fail_action: oneOf(
      ["exit", "reboot", "shell"] as const,
      "exit",
      "What a script does when it cannot boot: `exit` returns to the firmware (next boot device), `reboot`, or `shell` (iPXE shell, for debugging). `poweroff` is not offered because many iPXE builds lack it.",
    ),
    unknown_action: oneOf(
      ["fail", "discover"] as const,
      "fail",
      "What a machine no node matches gets: `fail` explains on its console and takes `fail_action`; `discover` boots the discovery image (`discovery.kernel`, `discovery.ramdisk`) with a callback URL, whose `done` report enrolls the machine as a node (docs/provisioning.md). Either way the machine is recorded under `GET /v1/discovered`.",
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
      "Temp URL key (`X-Account-Meta-Temp-URL-Key` or the container's). Required when `ipxe.use_swift` is true; with it false, lets the artifact cache fill images that have no `origin` from their Swift object. Any non-empty key is accepted, since Swift and Ironic set no minimum and you use the key your account already has; one shorter than 16 characters gets a warning at start (easier to guess). Never logged.",
      1,
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
    previous_signing_key: secret(
      "The key `signing_key` replaced, during a rotation: artifact URLs signed with it are still accepted until they expire, so machines booting meanwhile need no retry. Remove it once `url_duration` has passed (request logs show `signed_with: previous` until then). Never logged.",
    ),
    url_duration: int(300, 1, 86_400, "Seconds an artifact URL stays valid."),
  }),
  cache: z.strictObject({
    origin_timeout_ms: int(
      30_000,
      1000,
      600_000,
      "A cache fill fails (502 + Retry-After) when the image's origin leaves a read unanswered this long; a client that stops reading for this long is cut off while the fill goes on.",
    ),
    fill_wait_ms: int(
      30_000,
      0,
      600_000,
      "How long a request waits for a fill of the same artifact already running (here or, through the fill lock, on another instance) before streaming from the origin itself without writing.",
    ),
    fill_poll_ms: int(
      500,
      50,
      10_000,
      "How often a request polls the cache while another instance holds the fill lock.",
    ),
    fill_lock_ttl: int(
      900,
      10,
      86_400,
      "Seconds a fill lock is held at most; keep it above the slowest expected fill.",
    ),
    redirect: bool(
      false,
      "Answer cache hits with 302 to a short-lived presigned bucket URL instead of streaming them, when the cache adapter can presign (S3, R2; not the local directory). Stock iPXE cannot follow a redirect to https: use only with an http bucket endpoint or an iPXE built with HTTPS.",
    ),
    redirect_ttl: int(60, 1, 3600, "Seconds a presigned redirect URL stays valid."),
    redirect_min_bytes: int(
      0,
      0,
      1_099_511_627_776,
      "Only objects at least this large are redirected; smaller ones are streamed.",
    ),
  }),
  front: z.strictObject({
    viewer_headers: bool(
      false,
      "Trust `X-Swiftboot-Viewer-Host`, `X-Swiftboot-Viewer-Address` and `CloudFront-Forwarded-Proto` for the base URL of scripts and the client address. Only behind a front that sets them itself and that is the only way in (the AWS stack's CloudFront distribution, whose Function URLs refuse anything else); anywhere else a caller could choose the host its scripts name.",
    ),
    key_pair_id: optionalStr(
      "CloudFront public key id (`K...`) of the distribution's trusted key group. With `front.private_key`, the artifacts function answers a verified artifact request with 302 to a CloudFront signed URL for the cached object (`/artifacts/...` on the same front) instead of streaming it.",
      /^[A-Z0-9]{1,64}$/,
      "expected a CloudFront public key id such as K2JCJMDEHXQW5F",
    ),
    private_key: secret(
      "PEM RSA private key matching `front.key_pair_id` (the AWS stack generates it into its secret). Never logged.",
    ),
    url_duration: int(
      120,
      1,
      3600,
      "Seconds a CloudFront signed URL stays valid: iPXE follows the redirect at once, and CloudFront checks the expiry only when a download starts.",
    ),
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
    image_cache_seconds: int(
      10,
      0,
      3600,
      "Seconds a serving process keeps an image record it has read (at most 1,000 images), so a boot script costs no image read: an image edit reaches every script within this many seconds (plus about 1 s of DynamoDB's eventual consistency). 0: read images on every script.",
    ),
  }),
  server: z.strictObject({
    host: str(
      "127.0.0.1",
      "Address the local server listens on. The default accepts only this machine: set `0.0.0.0` (all addresses) or one of its addresses for machines on the network to boot from it.",
    ),
    port: int(
      8080,
      0,
      65_535,
      "Port the local server listens on (0 picks a free one). If another program has it, `npm start` stops and says so: pick another.",
    ),
    tls_cert: optionalStr(
      "PEM certificate chain file: with `server.tls_key`, the local server speaks HTTPS instead of HTTP. Both files are read again when either changes, so a renewed certificate needs no restart.",
    ),
    tls_key: optionalStr("PEM private key file of `server.tls_cert`."),
  }),
  local: z.strictObject({
    data_dir: str(
      ".data",
      "Directory for local state: DynamoDB Local's data, the generated artifact key and the artifact cache (`<data_dir>/cache`).",
    ),
    cache_expiry_days: int(
      30,
      0,
      3650,
      "Days a file of the local artifact cache is kept after it was filled, like the buckets' lifecycle rules: an expired file is filled again on its next miss. Checked at start and hourly; 0 keeps files forever.",
    ),
  }),
  log: z.strictObject({
    level: oneOf(["debug", "info", "warn", "error"] as const, "info", "Lowest level written."),
  }),
  admin: z.strictObject({
    tokens: secret(
      "Bearer tokens of the admin API, as SHA-256 hashes: a comma-separated list of `<scope>:<64 hex digits>`, scope `read` (GET only) or `admin` (everything). `swiftboot token` generates a token and prints its entry. Unset: the admin API is off and answers 404. Never logged.",
    ),
    iam_principals: optionalStr(
      "AWS only: IAM principals of the admin API (the caller AWS verified through the Function URL's AWS_IAM auth, `requestContext.authorizer.iam`), a comma-separated list of `<scope>:<ARN>` where the ARN may end in `*` (e.g. `admin:arn:aws:sts::123456789012:assumed-role/Ops/*`). Set: the AWS admin function authenticates by IAM principal instead of bearer token; a principal no entry matches is refused with 403.",
      /^\s*(read|admin):arn:[^\s,]+\s*(,\s*(read|admin):arn:[^\s,]+\s*)*$/,
      "expected a comma-separated list of <read|admin>:<ARN, optionally ending in *>",
    ),
    boot_history_days: int(
      30,
      0,
      3650,
      "Days each script served to a known node stays in its boot history (`GET /v1/nodes/{id}/boots`), expired by DynamoDB's TTL; 0 records none.",
    ),
  }),
  callback: z.strictObject({
    ttl: int(
      10_800,
      60,
      604_800,
      "Seconds a callback URL (`swiftboot.callback=` on deploy, rescue, clean and inspect kernel command lines) stays valid: long enough for the slowest installation. Signed with a key derived from `artifacts.signing_key` (rotation through `artifacts.previous_signing_key`); without a signing key, scripts carry no callback URL.",
    ),
    adopt_macs: bool(
      false,
      "Add the MACs an inspection report's inventory lists to the node (at most 32 in all). A MAC another node holds is left out and named in the answer.",
    ),
  }),
  discovery: z.strictObject({
    ttl_days: int(
      7,
      1,
      365,
      "Days an unknown machine stays listed under `GET /v1/discovered` after it was last seen (DynamoDB TTL).",
    ),
    kernel: optionalStr(
      "Image id of the discovery kernel booted by unknown machines when `ipxe.unknown_action` is `discover`.",
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
      "expected an image id",
    ),
    ramdisk: optionalStr(
      "Image id of the discovery ramdisk (see `kernel`).",
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
      "expected an image id",
    ),
    kernel_args: optionalStr(
      "Extra kernel arguments for the discovery boot, separated by single spaces.",
      /^[!-~]+( [!-~]+)*$/,
      "expected printable tokens separated by single spaces",
    ),
  }),
};

/** One `admin.tokens` entry: `<scope>:<sha256 hex>`. */
export const ADMIN_TOKEN_ENTRY = /^(read|admin):[0-9a-fA-F]{64}$/;

export const configSchema = z
  .strictObject({
    ipxe: z.prefault(groups.ipxe, {}),
    swift: z.prefault(groups.swift, {}),
    artifacts: z.prefault(groups.artifacts, {}),
    cache: z.prefault(groups.cache, {}),
    front: z.prefault(groups.front, {}),
    store: z.prefault(groups.store, {}),
    server: z.prefault(groups.server, {}),
    local: z.prefault(groups.local, {}),
    log: z.prefault(groups.log, {}),
    admin: z.prefault(groups.admin, {}),
    callback: z.prefault(groups.callback, {}),
    discovery: z.prefault(groups.discovery, {}),
  })
  .check(
    z.superRefine((config, ctx) => {
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
      const { signing_key, previous_signing_key } = config.artifacts;
      if (previous_signing_key !== undefined && signing_key === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["artifacts", "previous_signing_key"],
          message: "is set without artifacts.signing_key (the current key)",
        });
      } else if (previous_signing_key !== undefined && previous_signing_key === signing_key) {
        ctx.addIssue({
          code: "custom",
          path: ["artifacts", "previous_signing_key"],
          message: "is the same as artifacts.signing_key (a rotation needs a new key)",
        });
      }
      if ((config.front.key_pair_id === undefined) !== (config.front.private_key === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["front", config.front.key_pair_id === undefined ? "key_pair_id" : "private_key"],
          message: "front.key_pair_id and front.private_key are set together or not at all",
        });
      }
      if (config.ipxe.unknown_action === "discover") {
        for (const key of ["kernel", "ramdisk"] as const) {
          if (config.discovery[key] === undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["discovery", key],
              message: "is required when ipxe.unknown_action is discover",
            });
          }
        }
      }
      if (config.ipxe.public_url !== undefined) {
        const problem = chainUrlProblem(chainUrlFor(config.ipxe.public_url));
        if (problem !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["ipxe", "public_url"],
            message: `cannot be built into swiftboot's iPXE binaries: <public_url>/boot.ipxe ${problem}`,
          });
        }
      }
      if ((config.server.tls_cert === undefined) !== (config.server.tls_key === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["server", config.server.tls_cert === undefined ? "tls_cert" : "tls_key"],
          message: "is required with the other of server.tls_cert and server.tls_key",
        });
      }
      // Entries are checked by position, never echoed: the list is a secret.
      (config.admin.tokens?.split(",") ?? []).forEach((entry, index) => {
        if (!ADMIN_TOKEN_ENTRY.test(entry.trim())) {
          ctx.addIssue({
            code: "custom",
            path: ["admin", "tokens"],
            message: `entry ${index + 1} is not <read|admin>:<64 hex digits> (the SHA-256 of a token; see \`swiftboot token\`)`,
          });
        }
      });
    }),
  );

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type GroupName = keyof typeof groups;
