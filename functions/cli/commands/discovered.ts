import type { Command } from "commander";
import type { DiscoveredMachine } from "../../../shared/discovery/record.ts";
import type { Node } from "../../../shared/model/index.ts";
import type { CliIo } from "../io.ts";
import { type ApiOptions, apiClient, formatTable, withApiOptions } from "./api-client.ts";

const machinePath = (mac: string) => `/v1/discovered/${encodeURIComponent(mac)}`;

/**
 * `swiftboot discovered list|delete`: machines that chained in and matched no node; and
 * `swiftboot nodes enroll <mac>`, which makes one a node in `enroll` (docs/provisioning.md).
 */
export function registerDiscovered(program: Command, io: CliIo): Command {
  const discovered = program
    .command("discovered")
    .description(
      "Machines that booted and matched no node (SWIFTBOOT_API_URL, SWIFTBOOT_API_TOKEN).",
    );

  withApiOptions(
    discovered
      .command("list")
      .description("List them, most recently seen first.")
      .option("--limit <n>", "page size (1-1000)", "100"),
  ).action(async (options: ApiOptions & { limit: string }) => {
    const api = apiClient(io, options);
    const all: DiscoveredMachine[] = [];
    const query = new URLSearchParams({ limit: options.limit });
    for await (const page of api.pages<DiscoveredMachine>("/v1/discovered", query))
      all.push(...page);
    if (options.json) {
      io.out(JSON.stringify(all, null, 2));
      return;
    }
    const rows = all.map((m) => [
      m.mac,
      m.uuid ?? "",
      [m.arch, m.platform].filter(Boolean).join("/"),
      m.client ?? "",
      m.first_seen,
      m.last_seen,
      String(m.count),
    ]);
    const header = ["MAC", "UUID", "ARCH", "CLIENT", "FIRST SEEN", "LAST SEEN", "REQUESTS"];
    for (const line of formatTable(header, rows)) io.out(line);
  });

  withApiOptions(
    discovered.command("delete").description("Forget a discovered machine.").argument("<mac>"),
  ).action(async (mac: string, options: ApiOptions) => {
    await apiClient(io, options).request("DELETE", machinePath(mac));
    if (options.json) io.out(JSON.stringify({ mac, deleted: true }));
    else io.out(`forgot ${mac}`);
  });
  return discovered;
}

/** `swiftboot nodes enroll <mac> [--id ...] [--name ...]`, added to the `nodes` command. */
export function registerNodeEnroll(nodes: Command, io: CliIo): void {
  withApiOptions(
    nodes
      .command("enroll")
      .description(
        "Make a discovered machine a node in enroll, with its MAC and UUID (see `swiftboot discovered list`).",
      )
      .argument("<mac>")
      .option("--id <id>", "the node's id (default: the machine's UUID, else mac-<MAC>)")
      .option("--name <name>", "the node's name (default: its id)"),
  ).action(async (mac: string, options: ApiOptions & { id?: string; name?: string }) => {
    const body = {
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.name === undefined ? {} : { name: options.name }),
    };
    const { body: node, version } = await apiClient(io, options).request<Node>(
      "POST",
      `${machinePath(mac)}/enroll`,
      { body },
    );
    if (options.json) io.out(JSON.stringify(node, null, 2));
    else io.out(`enrolled ${mac} as node ${node.id} (state ${node.state}, version ${version})`);
  });
}
