import type { Command } from "commander";
import type { Node } from "../../../shared/model/index.ts";
import type { BootRecord } from "../../../shared/store/index.ts";
import type { CliIo } from "../io.ts";
import { type ApiOptions, apiClient, formatTable, withApiOptions } from "./api-client.ts";
import { type PutOptions, printResource, putResources } from "./resource-file.ts";

const path = (id: string) => `/v1/nodes/${encodeURIComponent(id)}`;

/**
 * `swiftboot nodes put|get|list|delete|set-state|boots`: nodes through the admin API. Tables for
 * people, `--json` for scripts; a refusal exits 1 with the API's problem detail.
 */
export function registerNodes(program: Command, io: CliIo): Command {
  const nodes = program
    .command("nodes")
    .description("Manage nodes through the admin API (SWIFTBOOT_API_URL, SWIFTBOOT_API_TOKEN).");

  withApiOptions(
    nodes
      .command("put")
      .description(
        "Create or replace nodes from a YAML/JSON file: one, a list, or { nodes: [...] }. States change only with set-state.",
      )
      .argument("<file>", "file; - reads standard input")
      .option("--dry-run", "check the file and list what would be created, updated or unchanged")
      .option("--partial", "write the valid records even when others are invalid"),
  ).action((file: string, options: PutOptions) => putResources(io, options, file, "nodes"));

  withApiOptions(nodes.command("get").description("Print one node.").argument("<id>")).action(
    (id: string, options: ApiOptions) => printResource(io, options, "nodes", id),
  );

  withApiOptions(
    nodes
      .command("list")
      .description("List nodes, all or by state; or find one by MAC or UUID.")
      .option("--state <state>", "only nodes in this provision state")
      .option("--mac <mac>", "only the node with this MAC")
      .option("--uuid <uuid>", "only the node with this UUID")
      .option("--limit <n>", "page size (1-1000)", "100"),
  ).action(
    async (
      options: ApiOptions & { state?: string; mac?: string; uuid?: string; limit: string },
    ) => {
      const query = new URLSearchParams({ limit: options.limit });
      for (const key of ["state", "mac", "uuid"] as const) {
        const value = options[key];
        if (value !== undefined) query.set(key, value);
      }
      const api = apiClient(io, options);
      const all: Node[] = [];
      for await (const page of api.pages<Node>("/v1/nodes", query)) all.push(...page);
      if (options.json) {
        io.out(JSON.stringify(all, null, 2));
        return;
      }
      const rows = all.map((n) => [n.id, n.name, n.state, n.macs.join(","), n.uuid ?? ""]);
      for (const line of formatTable(["ID", "NAME", "STATE", "MACS", "UUID"], rows)) io.out(line);
    },
  );

  withApiOptions(
    nodes
      .command("delete")
      .description("Delete a node, freeing its MACs and UUID.")
      .argument("<id>"),
  ).action(async (id: string, options: ApiOptions) => {
    await apiClient(io, options).request("DELETE", path(id));
    if (options.json) io.out(JSON.stringify({ id, deleted: true }));
    else io.out(`deleted node ${id}`);
  });

  withApiOptions(
    nodes
      .command("set-state")
      .description(
        "Apply a provision action: manage, inspect, provide, clean, adopt, deploy, rebuild, delete, rescue, unrescue, done, fail.",
      )
      .argument("<id>")
      .argument("<action>"),
  ).action(async (id: string, action: string, options: ApiOptions) => {
    const api = apiClient(io, options);
    const before = await api.request<Node>("GET", path(id));
    const { body, version } = await api.request<Node>(
      "POST",
      `${path(id)}/actions/${encodeURIComponent(action)}`,
      { ifMatch: `"${before.version}"` },
    );
    if (options.json) io.out(JSON.stringify(body, null, 2));
    else io.out(`${id}: ${before.body.state} → ${body.state} (${action}, version ${version})`);
  });

  withApiOptions(
    nodes
      .command("boots")
      .description("The scripts served to a node, newest first.")
      .argument("<id>")
      .option("--limit <n>", "at most this many (1-1000)", "20"),
  ).action(async (id: string, options: ApiOptions & { limit: string }) => {
    const { body } = await apiClient(io, options).request<{ items: BootRecord[] }>(
      "GET",
      `${path(id)}/boots?limit=${encodeURIComponent(options.limit)}`,
    );
    if (options.json) {
      io.out(JSON.stringify(body.items, null, 2));
      return;
    }
    const rows = body.items.map((b) => [
      b.at,
      b.state ?? "",
      b.outcome,
      b.purpose ?? "",
      b.mac ?? "",
      b.client ?? "",
      b.expires_at === undefined ? "" : new Date(b.expires_at * 1000).toISOString(),
    ]);
    const header = ["AT", "STATE", "OUTCOME", "PURPOSE", "MAC", "CLIENT", "URLS EXPIRE"];
    for (const line of formatTable(header, rows)) io.out(line);
  });
  return nodes;
}
