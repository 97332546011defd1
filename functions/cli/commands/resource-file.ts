import { readFile } from "node:fs/promises";
import { parse as parseYaml, stringify } from "yaml";
import { CliFailure, type CliIo } from "../io.ts";
import { type ApiOptions, apiClient, idOf, recordsIn } from "./api-client.ts";

/** A YAML or JSON file (YAML parses both), or standard input for `-`. */
export async function readDocument(io: CliIo, file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === "-" ? await io.readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new CliFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new CliFailure(`${file}: not valid YAML or JSON: ${(error as Error).message}`);
  }
}

type Kind = "images" | "nodes";
const resourcePath = (kind: Kind, id: string) => `/v1/${kind}/${encodeURIComponent(id)}`;

/** `put FILE`: every record in the file PUT to `/v1/<kind>/<id>`, in file order. */
export async function putResources(
  io: CliIo,
  options: ApiOptions,
  file: string,
  kind: Kind,
): Promise<void> {
  const api = apiClient(io, options);
  const noun = kind.slice(0, -1);
  const results = [];
  for (const [index, record] of recordsIn(await readDocument(io, file), kind).entries()) {
    const id = idOf(record, index);
    const { status, version } = await api.request("PUT", resourcePath(kind, id), { body: record });
    const outcome = status === 201 ? "created" : "updated";
    results.push({ id, outcome, version });
    if (!options.json) io.out(`${outcome} ${noun} ${id} (version ${version})`);
  }
  if (options.json) io.out(JSON.stringify(results, null, 2));
}

/** `get ID`: the record as YAML headed by its version, or as JSON with `--json`. */
export async function printResource(
  io: CliIo,
  options: ApiOptions,
  kind: Kind,
  id: string,
): Promise<void> {
  const { body, version } = await apiClient(io, options).request("GET", resourcePath(kind, id));
  if (options.json) io.out(JSON.stringify(body, null, 2));
  else io.out(`# version ${version}\n${stringify(body).trimEnd()}`);
}
