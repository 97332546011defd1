import { BatchGetCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import { BatchGetRequest } from "dynamodb-toolbox/entity/actions/batchGet";
import { EntityFormatter } from "dynamodb-toolbox/entity/actions/format";
import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { ID_PATTERN, type Image, type Node, normalizeMac, normalizeUuid } from "../model/index.ts";
import { call, formatOrCorrupt, getOrCorrupt, type StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import { CorruptRecordError, StoreUnavailableError } from "./errors.ts";
import { type StoredProvisionFields, storedProvisionFields } from "./provision-fields.ts";
import { imageFromItem, imageKey, nodeFromItem, nodeKey } from "./records.ts";
import type { Versioned } from "./types.ts";

/**
 * Boot-path reads are eventually consistent (half the cost; a change shows within about a
 * second). Admin reads that precede a write are strongly consistent.
 */
export interface ReadOptions {
  consistent: boolean;
  /** Shared time budget when one lookup makes several calls (claim, then node). */
  signal?: AbortSignal;
}

export async function getNode(
  ctx: StoreContext,
  id: string,
  options: ReadOptions,
): Promise<Node | undefined> {
  return (await getNodeVersioned(ctx, id, options))?.record;
}

export async function getNodeVersioned(
  ctx: StoreContext,
  id: string,
  { consistent, signal }: ReadOptions,
): Promise<Versioned<Node> | undefined> {
  if (!ID_PATTERN.test(id)) return undefined; // could never have been stored
  const key = nodeKey(id);
  const { Item } = await getOrCorrupt(
    ctx,
    key,
    (options) => ctx.node.build(GetItemCommand).key({ id }).options({ consistent }).send(options),
    signal,
  );
  if (Item === undefined) return undefined;
  const { version, ...record } = Item;
  return { record: nodeFromItem(key, record), version: version ?? 0 };
}

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

export async function getImage(
  ctx: StoreContext,
  id: string,
  options: ReadOptions,
): Promise<Image | undefined> {
  return (await getImageVersioned(ctx, id, options))?.record;
}

export async function getImageVersioned(
  ctx: StoreContext,
  id: string,
  { consistent, signal }: ReadOptions,
): Promise<Versioned<Image> | undefined> {
  if (!ID_PATTERN.test(id)) return undefined;
  const key = imageKey(id);
  const { Item } = await getOrCorrupt(
    ctx,
    key,
    (options) => ctx.image.build(GetItemCommand).key({ id }).options({ consistent }).send(options),
    signal,
  );
  if (Item === undefined) return undefined;
  const { version, ...record } = Item;
  return { record: imageFromItem(key, record), version: version ?? 0 };
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

/** The node id holding a MAC (canonical form) or UUID claim, if any. */
export async function getClaimOwner(
  ctx: StoreContext,
  kind: "mac" | "uuid",
  value: string,
  { consistent, signal }: ReadOptions,
): Promise<string | undefined> {
  let key: string;
  let item: { nodeId: string } | undefined;
  if (kind === "mac") {
    const mac = macKey(value);
    key = `MAC#${mac}`;
    ({ Item: item } = await getOrCorrupt(
      ctx,
      key,
      (options) =>
        ctx.macClaim.build(GetItemCommand).key({ mac }).options({ consistent }).send(options),
      signal,
    ));
  } else {
    key = `UUID#${value}`;
    ({ Item: item } = await getOrCorrupt(
      ctx,
      key,
      (options) =>
        ctx.uuidClaim
          .build(GetItemCommand)
          .key({ uuid: value })
          .options({ consistent })
          .send(options),
      signal,
    ));
  }
  if (item === undefined) return undefined;
  if (!ID_PATTERN.test(item.nodeId)) throw new CorruptRecordError(key, "nodeId: not a node id");
  return item.nodeId;
}

/** BatchGetItem's limit per request. */
const BATCH_SIZE = 100;

/**
 * Images by id with BatchGetItem, retrying UnprocessedKeys (throttling) with back-off until the
 * time budget runs out. Each item is formatted and validated on its own so a corrupt one is named.
 */
export async function batchGetImages(
  ctx: StoreContext,
  ids: readonly string[],
): Promise<Map<string, Image>> {
  const found = new Map<string, Image>();
  const wanted = [...new Set(ids)].filter((id) => ID_PATTERN.test(id));
  // One budget for every request and back-off of this lookup.
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  const deadline = Date.now() + ctx.timeoutMs;
  for (let i = 0; i < wanted.length; i += BATCH_SIZE) {
    let keys = wanted
      .slice(i, i + BATCH_SIZE)
      .map((id) => ctx.image.build(BatchGetRequest).key({ id }).params());
    for (let round = 0; keys.length > 0; round++) {
      if (round > 0) {
        const delay = Math.min(25 * 2 ** round, 500);
        if (Date.now() + delay >= deadline) {
          throw new StoreUnavailableError(
            `DynamoDB left ${keys.length} image reads unprocessed (throttled) within ${ctx.timeoutMs} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, delay));
      }
      const output = await call(
        ctx,
        "BatchGetItem images",
        (options) =>
          ctx.documentClient.send(
            new BatchGetCommand({ RequestItems: { [ctx.tableName]: { Keys: keys } } }),
            options,
          ),
        signal,
      );
      for (const raw of output.Responses?.[ctx.tableName] ?? []) {
        const key = String(raw.pk);
        const item = formatOrCorrupt(key, () => ctx.image.build(EntityFormatter).format(raw));
        const { version: _version, ...record } = item;
        const image = imageFromItem(key, record);
        found.set(image.id, image);
      }
      keys = (output.UnprocessedKeys?.[ctx.tableName]?.Keys ?? []) as typeof keys;
    }
  }
  return found;
}
