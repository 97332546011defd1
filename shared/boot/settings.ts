import type { Config } from "../config/index.ts";

/**
 * What the boot path needs from the configuration, worked out once per Config object (configs
 * are built once per process and never mutated), so a script request does no string formatting
 * that does not depend on the request.
 */
export type FailAction = Config["ipxe"]["fail_action"];

export interface BootSettings {
  retries: number;
  /** `ipxe.retry_delay` as the `sleep` argument. */
  retryDelay: string;
  /** `["--timeout", "<ms>"]` for every download, or nothing when `ipxe.timeout_ms` is 0. */
  timeoutOptions: readonly string[];
  failAction: FailAction;
  /** What the fail action does, for the console. */
  failMessage: string;
  urls: SwiftUrlSettings | ArtifactUrlSettings;
}

export interface SwiftUrlSettings {
  mode: "swift";
  /** `swift.endpoint_url`, without a trailing slash. Undefined: the config is incomplete. */
  endpoint: string | undefined;
  /** `/v1/<account>/`, the start of every object path. */
  accountPrefix: string | undefined;
  defaultContainer: string | undefined;
  key: string | undefined;
  digest: Config["swift"]["temp_url_digest"];
  /** Seconds from now until a temp URL expires. */
  lifetime: number;
  bindIp: boolean;
}

export interface ArtifactUrlSettings {
  mode: "artifacts";
  key: string | undefined;
  lifetime: number;
  /** Container used for the content id of images that name none. */
  defaultContainer: string | undefined;
}

const FAIL_MESSAGES: Record<FailAction, string> = {
  exit: "swiftboot: leaving iPXE so the firmware tries the next boot device",
  reboot: "swiftboot: rebooting",
  shell: "swiftboot: dropping to the iPXE shell",
};

const cache = new WeakMap<Config, BootSettings>();

export function bootSettings(config: Config): BootSettings {
  let settings = cache.get(config);
  if (settings === undefined) {
    settings = computeSettings(config);
    cache.set(config, settings);
  }
  return settings;
}

function computeSettings(config: Config): BootSettings {
  const { ipxe, swift, artifacts } = config;
  const urls: BootSettings["urls"] = ipxe.use_swift
    ? {
        mode: "swift",
        endpoint: swift.endpoint_url?.replace(/\/+$/, ""),
        accountPrefix:
          swift.account === undefined ? undefined : `/${swift.api_version}/${swift.account}/`,
        defaultContainer: swift.container,
        key: swift.temp_url_key,
        digest: swift.temp_url_digest,
        lifetime: swift.temp_url_duration + swift.temp_url_expected_download_start_delay,
        bindIp: swift.temp_url_bind_ip,
      }
    : {
        mode: "artifacts",
        key: artifacts.signing_key,
        lifetime: artifacts.url_duration,
        defaultContainer: swift.container,
      };
  return {
    retries: ipxe.retries,
    retryDelay: String(ipxe.retry_delay),
    timeoutOptions: ipxe.timeout_ms > 0 ? ["--timeout", String(ipxe.timeout_ms)] : [],
    failAction: ipxe.fail_action,
    failMessage: FAIL_MESSAGES[ipxe.fail_action],
    urls,
  };
}
