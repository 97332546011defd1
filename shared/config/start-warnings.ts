import { originSettings } from "../artifacts/origin.ts";
import type { Image } from "../model/index.ts";
import type { Config } from "./schema.ts";
import { plainHttpWarnings } from "./warnings.ts";

/**
 * Settings that are valid but almost surely not what was meant: logged once at start by every
 * runtime, never refused (each can be right somewhere). Messages name the option and never a
 * secret's value. Includes what stock iPXE cannot follow (warnings.ts).
 */

/** Below this a temp URL key is easier to guess than the keys swiftboot generates. */
const SHORT_KEY = 16;

export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const { timeout_ms } = config.ipxe;
  if (timeout_ms > 0 && timeout_ms < 1000) {
    warnings.push(
      `ipxe.timeout_ms is ${timeout_ms}: milliseconds, so downloads time out after under a second; Ironic's ipxe_timeout is in seconds (its 60 is 60000 here)`,
    );
  }
  warnings.push(...plainHttpWarnings(config));
  const key = config.swift.temp_url_key;
  if (key !== undefined && key.length < SHORT_KEY) {
    warnings.push(
      `swift.temp_url_key is ${key.length} characters: accepted (Swift sets no minimum), but a key this short is easier to guess; consider a longer one`,
    );
  }
  return warnings;
}

/** Cache mode: images the artifact cache could never fill (no origin, and no usable Swift). */
export function imageWarnings(config: Config, images: readonly Image[]): string[] {
  if (config.ipxe.use_swift) return [];
  const swift = originSettings(config).swift;
  return images
    .filter(
      (image) =>
        image.origin === undefined &&
        (swift === undefined || (image.swift.container ?? swift.defaultContainer) === undefined),
    )
    .map(
      (image) =>
        `image ${image.id} has no origin, and Swift is not configured for cache fills (swift.endpoint_url, swift.account, swift.temp_url_key${swift === undefined ? "" : ", a container"}): machines asking for it will get 502`,
    );
}
