import type { Command } from "commander";
import {
  baseUrlFromRequest,
  parseBootIdentity,
  scriptForRequest,
} from "../../../shared/boot/index.ts";
import { openLocalStore } from "../../local/store.ts";
import { type CliIo, loadCliConfig } from "../io.ts";

/**
 * `swiftboot script MAC`: the script that machine would get now, through the same lookup and
 * rendering as `GET /boot/{mac}.ipxe`, so operators can see what a node will do before it boots.
 */
export function registerScript(program: Command, io: CliIo): Command {
  return program
    .command("script")
    .description("Print the iPXE script a machine would get now.")
    .argument(
      "<mac>",
      "the booting NIC's MAC (52:54:00:12:34:56, 52-54-00-12-34-56 or 525400123456)",
    )
    .option("--uuid <uuid>", "SMBIOS UUID the firmware reports")
    .option("--arch <arch>", "iPXE ${buildarch}: x86_64, i386, arm64, ...")
    .option("--platform <platform>", "iPXE ${platform}: pcbios or efi")
    .option("--client-ip <address>", "the machine's address (for swift.temp_url_bind_ip)")
    .action(
      async (
        mac: string,
        options: { uuid?: string; arch?: string; platform?: string; clientIp?: string },
      ) => {
        const config = loadCliConfig(io);
        const query = new URLSearchParams();
        if (options.uuid) query.set("uuid", options.uuid);
        if (options.arch) query.set("arch", options.arch);
        if (options.platform) query.set("platform", options.platform);
        const request = parseBootIdentity(`${mac}.ipxe`, query);
        for (const p of request.problems)
          io.err(`warning: ${p.field} ${JSON.stringify(p.value)} ${p.message}`);
        const baseUrl = baseUrlFromRequest(
          config,
          `http://${config.server.host}:${config.server.port}/`,
        );
        const local = await openLocalStore(config);
        try {
          const result = await scriptForRequest(local.store, {
            request,
            config,
            now: Math.floor(Date.now() / 1000),
            baseUrl,
            ...(options.clientIp ? { clientIp: options.clientIp } : {}),
          });
          io.out(result.script.trimEnd());
        } finally {
          await local.close();
        }
      },
    );
}
