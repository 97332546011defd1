import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  type DiscoveredMachine,
  type DiscoveryPage,
  discoveredMachineSchema,
  type SightingWrite,
} from "../discovery/record.ts";
import { normalizeMac } from "../model/index.ts";
import * as z from "../validation/zod.ts";
import { call, type StoreContext } from "./context.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { CorruptRecordError } from "./errors.ts";
import { LIST_INDEX, LIST_PK, LIST_SK, TTL_ATTRIBUTE } from "./table.ts";

/**
 * Discovered machines: `DISC#<12 hex>` / `DISC` items, listed through gsi1 under `DISCOVERED`
 * with `<last seen>#<12 hex>` as the sort key (newest first), expired by DynamoDB's TTL
 * (`discovery.ttl_days` after the last recorded sighting). A sighting is one conditional
 * UpdateItem that writes only when the stored record is older than the minimum interval, so a
 * machine in a boot loop costs one write a minute however many servers see it; the table holds at
 * most the MACs seen within the TTL.
 */
const PARTITION = "DISCOVERED";
const SK = "DISC";
const discKey = (mac: string) => `DISC#${mac.replaceAll(":", "")}`;

export async function recordSighting(ctx: StoreContext, write: SightingWrite): Promise<boolean> {
  const { sighting, count, ttlSeconds, minIntervalSeconds } = write;
  const mac = normalizeMac(sighting.mac);
  if (mac === undefined) return false;
  const at = sighting.at.toISOString();
  const cutoff = new Date(sighting.at.getTime() - minIntervalSeconds * 1000).toISOString();
  const optional = {
    uuid: sighting.uuid,
    arch: sighting.arch,
    platform: sighting.platform,
    client: sighting.client?.slice(0, 100),
  };
  // Every attribute by placeholder: some of these names are DynamoDB reserved words.
  const names: Record<string, string> = {
    "#mac": "mac",
    "#last": "last_seen",
    "#first": "first_seen",
    "#ttl": TTL_ATTRIBUTE,
    "#count": "count",
    "#et": "_et",
  };
  const sets = ["#mac = :mac", "#last = :at", "#first = if_not_exists(#first, :at)"];
  const values: Record<string, unknown> = { ":mac": mac, ":at": at, ":cutoff": cutoff };
  for (const [name, value] of Object.entries(optional)) {
    if (value === undefined) continue;
    sets.push(`#${name} = :${name}`);
    names[`#${name}`] = name;
    values[`:${name}`] = value;
  }
  sets.push(`${LIST_PK} = :gpk`, `${LIST_SK} = :gsk`, "#ttl = :ttl", "#et = :et");
  Object.assign(values, {
    ":gpk": PARTITION,
    ":gsk": `${at}#${mac.replaceAll(":", "")}`,
    ":ttl": Math.floor(sighting.at.getTime() / 1000) + ttlSeconds,
    ":et": "Discovered",
    ":n": count,
  });
  try {
    await call(ctx, `UpdateItem ${discKey(mac)}`, (options) =>
      ctx.documentClient.send(
        new UpdateCommand({
          TableName: ctx.tableName,
          Key: { pk: discKey(mac), sk: SK },
          UpdateExpression: `SET ${sets.join(", ")} ADD #count :n`,
          ConditionExpression: "attribute_not_exists(pk) OR #last <= :cutoff",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        options,
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function isConditionFailure(error: unknown): boolean {
  // call() wraps SDK errors; the condition failure is its cause (or the error itself).
  for (
    let e: unknown = error;
    e !== undefined && e !== null;
    e = (e as { cause?: unknown }).cause
  ) {
    if ((e as { name?: string }).name === "ConditionalCheckFailedException") return true;
  }
  return false;
}

function machineOf(key: string, item: Record<string, unknown>): DiscoveredMachine {
  const { mac, uuid, arch, platform, client, first_seen, last_seen, count } = item;
  const parsed = discoveredMachineSchema.safeParse(
    Object.fromEntries(
      Object.entries({ mac, uuid, arch, platform, client, first_seen, last_seen, count }).filter(
        ([, v]) => v !== undefined,
      ),
    ),
  );
  if (!parsed.success) throw new CorruptRecordError(key, parsed.error.message);
  return parsed.data;
}

const cursorSchema = z.strictObject({ k: z.string().check(z.maxLength(100)) });

export async function listDiscovered(
  ctx: StoreContext,
  page: { limit: number; cursor?: string },
): Promise<DiscoveryPage> {
  let before = page.cursor === undefined ? undefined : decodeCursor(cursorSchema, page.cursor).k;
  const now = Math.floor(Date.now() / 1000);
  const items: DiscoveredMachine[] = [];
  for (;;) {
    const output = await call(ctx, `Query ${LIST_INDEX} ${PARTITION}`, (options) =>
      ctx.documentClient.send(
        new QueryCommand({
          TableName: ctx.tableName,
          IndexName: LIST_INDEX,
          KeyConditionExpression:
            before === undefined ? "#pk = :pk" : "#pk = :pk AND #sk < :before",
          ExpressionAttributeNames: {
            "#pk": LIST_PK,
            ...(before === undefined ? {} : { "#sk": LIST_SK }),
          },
          ExpressionAttributeValues: {
            ":pk": PARTITION,
            ...(before === undefined ? {} : { ":before": before }),
          },
          ScanIndexForward: false,
          Limit: page.limit - items.length,
        }),
        options,
      ),
    );
    for (const item of output.Items ?? []) {
      before = String(item[LIST_SK]);
      if (typeof item[TTL_ATTRIBUTE] === "number" && item[TTL_ATTRIBUTE] < now) continue;
      items.push(machineOf(`${item.pk} ${item.sk}`, item));
    }
    if (output.LastEvaluatedKey === undefined) return { items };
    if (items.length >= page.limit) {
      return { items, cursor: encodeCursor({ k: before }) };
    }
  }
}

export async function getDiscovered(
  ctx: StoreContext,
  mac: string,
): Promise<DiscoveredMachine | undefined> {
  const canonical = normalizeMac(mac);
  if (canonical === undefined) return undefined;
  const key = discKey(canonical);
  const { Item } = await call(ctx, `GetItem ${key}`, (options) =>
    ctx.documentClient.send(
      new GetCommand({ TableName: ctx.tableName, Key: { pk: key, sk: SK }, ConsistentRead: true }),
      options,
    ),
  );
  if (Item === undefined) return undefined;
  if (typeof Item[TTL_ATTRIBUTE] === "number" && Item[TTL_ATTRIBUTE] < Date.now() / 1000) {
    return undefined;
  }
  return machineOf(key, Item);
}

export async function deleteDiscovered(ctx: StoreContext, mac: string): Promise<boolean> {
  const canonical = normalizeMac(mac);
  if (canonical === undefined) return false;
  const key = discKey(canonical);
  const { Attributes } = await call(ctx, `DeleteItem ${key}`, (options) =>
    ctx.documentClient.send(
      new DeleteCommand({
        TableName: ctx.tableName,
        Key: { pk: key, sk: SK },
        ReturnValues: "ALL_OLD",
      }),
      options,
    ),
  );
  return Attributes !== undefined;
}
