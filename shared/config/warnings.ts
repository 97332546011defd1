import type { Config } from "./schema.ts";

/**
 * Settings that are valid but leave stock iPXE unable to boot: it has no HTTPS (every BIOS build,
 * most NIC ROMs, Debian's 2019 build and its `ipxe.efi`; upstream EFI builds only from v2.0.0), so
 * an https URL in a script, or a redirect to one, fails on the console with "Operation not
 * supported (http://ipxe.org/3c092003)". Each runtime logs these once at start (warn).
 */
export function plainHttpWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const stock = "stock iPXE (BIOS builds, most NIC ROMs) cannot fetch https";
  if (config.ipxe.public_url?.startsWith("https:")) {
    warnings.push(
      `ipxe.public_url is https (${config.ipxe.public_url}): ${stock}; scripts chain to it. Use an http:// URL (a front that also serves plain HTTP).`,
    );
  }
  if (config.ipxe.use_swift && config.swift.endpoint_url?.startsWith("https:")) {
    warnings.push(
      `swift.endpoint_url is https: machines download temp URLs from it directly, and ${stock}.`,
    );
  }
  if (!config.ipxe.use_swift && config.cache.redirect) {
    warnings.push(
      `cache.redirect is on: cache hits answer 302 to presigned bucket URLs, which are https on S3 and R2; ${stock}.`,
    );
  }
  return warnings;
}
