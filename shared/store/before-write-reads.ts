import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { ID_PATTERN, normalizeMac, normalizeUuid } from "../model/index.ts";
import { call, type StoreContext } from "./context.ts";
import { CorruptRecordError } from "./errors.ts";
import { type StoredProvisionFields, storedProvisionFields } from "./provision-fields.ts";
import { imageKey, nodeKey } from "./records.ts";

/** What a write needs to know about the node it replaces or deletes. */
export interface NodeBeforeWrite {
  /** Undefined for an item written by another tool, before its first putNode. */
  version: number | undefined;
  /** Canonical MACs and UUID it lists, whose claims it holds. */
  macs: string[];
  uuid: string | undefined;
  /** Image ids it refers to, whose `USEDBY#` items it holds. */
  images: string[];
  /** The stored fields a write keeps (provision-fields.ts), raw. */
  provision: StoredProvisionFields;
}

/**
 * The stored node's version and identities, read leniently (strongly consistent): a corrupt node
 * must stay repairable by putNode and removable by deleteNode. Values that are not valid MACs or
 * UUIDs are skipped, since no claim can exist for them. Only an unusable version is fatal.
 */
export async function getNodeBeforeWrite(
  ctx: StoreContext,
  id: string,
): Promise<NodeBeforeWrite | undefined> {
  if (!ID_PATTERN.test(id)) return undefined;
  const key = nodeKey(id);
  const params = ctx.node.build(GetItemCommand).key({ id }).options({ consistent: true }).params();
  const { Item } = await call(ctx, `GetItem ${key}`, (options) =>
    ctx.documentClient.send(new GetCommand(params), options),
  );
  if (Item === undefined) return undefined;
  const { version, macs, uuid } = Item as { version?: unknown; macs?: unknown; uuid?: unknown };
  if (version !== undefined && !Number.isSafeInteger(version)) {
    throw new CorruptRecordError(
      key,
      "version: must be an integer (fix or delete the item by hand)",
    );
  }
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  return {
    version: version as number | undefined,
    macs: strings(macs).flatMap((m) => normalizeMac(m) ?? []),
    uuid: typeof uuid === "string" ? normalizeUuid(uuid) : undefined,
    images: imageIdsIn(Item),
    provision: storedProvisionFields(Item),
  };
}

/**
 * Image ids a stored node item refers to, read leniently (a corrupt node still releases what it
 * can): every string `kernel`/`ramdisk` under deploy, rescue, instance and arch_images.<arch>.
 */
function imageIdsIn(item: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  const pair = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    for (const key of ["kernel", "ramdisk"]) {
      const id = (value as Record<string, unknown>)[key];
      if (typeof id === "string" && ID_PATTERN.test(id)) ids.add(id);
    }
  };
  const purposes = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    for (const purpose of ["deploy", "rescue", "instance"]) {
      pair((value as Record<string, unknown>)[purpose]);
    }
  };
  purposes(item);
  const arches = item.arch_images;
  if (typeof arches === "object" && arches !== null) Object.values(arches).forEach(purposes);
  return [...ids];
}

/** What an image write or delete needs to know about the stored image (read strongly). */
export interface ImageBeforeWrite {
  version: number | undefined;
  /** Usage version (`_uv`), bumped by node writes that start using the image. */
  usage: number | undefined;
}

/** Read leniently, so a corrupt image stays replaceable and deletable. */
export async function getImageBeforeWrite(
  ctx: StoreContext,
  id: string,
): Promise<ImageBeforeWrite | undefined> {
  if (!ID_PATTERN.test(id)) return undefined;
  const key = imageKey(id);
  const params = ctx.image.build(GetItemCommand).key({ id }).options({ consistent: true }).params();
  const { Item } = await call(ctx, `GetItem ${key}`, (options) =>
    ctx.documentClient.send(new GetCommand(params), options),
  );
  if (Item === undefined) return undefined;
  const { version, _uv: usage } = Item as { version?: unknown; _uv?: unknown };
  for (const [name, value] of [
    ["version", version],
    ["_uv", usage],
  ] as const) {
    if (value !== undefined && !Number.isSafeInteger(value)) {
      throw new CorruptRecordError(
        key,
        `${name}: must be an integer (fix or delete the item by hand)`,
      );
    }
  }
  return { version: version as number | undefined, usage: usage as number | undefined };
}
