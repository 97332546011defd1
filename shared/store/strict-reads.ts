import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { ID_PATTERN, type Image, type Node } from "../model/index.ts";
import { getOrCorrupt, type StoreContext } from "./context.ts";
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
