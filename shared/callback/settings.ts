import type { Config } from "../config/index.ts";
import { type CallbackKeys, callbackKeys } from "./url.ts";

/** The callback's configuration, worked out once per Config object (configs are immutable). */
export interface CallbackSettings {
  /** Undefined without `artifacts.signing_key`: scripts then carry no callback URL. */
  keys: CallbackKeys | undefined;
  /** Seconds a URL stays valid. */
  ttl: number;
  adoptMacs: boolean;
}

const cache = new WeakMap<Config, CallbackSettings>();

export function callbackSettings(config: Config): CallbackSettings {
  let settings = cache.get(config);
  if (settings === undefined) {
    settings = {
      keys: callbackKeys(config.artifacts.signing_key, config.artifacts.previous_signing_key),
      ttl: config.callback.ttl,
      adoptMacs: config.callback.adopt_macs,
    };
    cache.set(config, settings);
  }
  return settings;
}
