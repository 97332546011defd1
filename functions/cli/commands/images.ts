import type { Command } from "commander";
import type { Image } from "../../../shared/model/index.ts";
import type { CliIo } from "../io.ts";
import { type ApiOptions, apiClient, formatTable, withApiOptions } from "./api-client.ts";
import { type PutOptions, printResource, putResources } from "./resource-file.ts";

/**
 * `swiftboot images put|get|list|delete`: images through the admin API. Tables for people,
 * `--json` for scripts; a refusal exits 1 with the API's problem detail.
 */
export function registerImages(program: Command, io: CliIo): Command {
  const images = program
    .command("images")
    .description("Manage images through the admin API (SWIFTBOOT_API_URL, SWIFTBOOT_API_TOKEN).");

  withApiOptions(
    images
      .command("put")
      .description(
        "Create or replace images from a YAML/JSON file: one, a list, or { images: [...] }.",
      )
      .argument("<file>", "file; - reads standard input")
      .option("--dry-run", "check the file and list what would be created, updated or unchanged")
      .option("--partial", "write the valid records even when others are invalid"),
  ).action((file: string, options: PutOptions) => putResources(io, options, file, "images"));

  withApiOptions(images.command("get").description("Print one image.").argument("<id>")).action(
    (id: string, options: ApiOptions) => printResource(io, options, "images", id),
  );

  withApiOptions(
    images
      .command("list")
      .description("List every image.")
      .option("--limit <n>", "page size (1-1000)", "100"),
  ).action(async (options: ApiOptions & { limit: string }) => {
    const all: Image[] = [];
    const api = apiClient(io, options);
    for await (const page of api.pages<Image>(
      "/v1/images",
      new URLSearchParams({ limit: options.limit }),
    )) {
      all.push(...page);
    }
    if (options.json) {
      io.out(JSON.stringify(all, null, 2));
      return;
    }
    const rows = all.map((i) => [
      i.id,
      i.name,
      `${i.swift.container ?? "(default)"}/${i.swift.object}`,
      i.size === undefined ? "" : String(i.size),
    ]);
    for (const line of formatTable(["ID", "NAME", "SWIFT OBJECT", "SIZE"], rows)) io.out(line);
  });

  withApiOptions(
    images
      .command("delete")
      .description("Delete an image; refused while nodes use it.")
      .argument("<id>"),
  ).action(async (id: string, options: ApiOptions) => {
    await apiClient(io, options).request("DELETE", `/v1/images/${encodeURIComponent(id)}`);
    if (options.json) io.out(JSON.stringify({ id, deleted: true }));
    else io.out(`deleted image ${id}`);
  });
  return images;
}
