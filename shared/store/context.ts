import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDBToolboxError } from "dynamodb-toolbox/errors";
import { toStoreError } from "./aws-errors.ts";
import { createDirectCall, type DirectCall } from "./direct-call.ts";
import {
  createMacClaimEntity,
  createUuidClaimEntity,
  type MacClaimEntity,
  type UuidClaimEntity,
} from "./entities/identity-claim.ts";
import { createImageEntity, type ImageEntity } from "./entities/image.ts";
import { createNodeEntity, type NodeEntity } from "./entities/node.ts";
import { CorruptRecordError } from "./errors.ts";
import { createSwiftbootTable } from "./table.ts";
import { withTimeBudget } from "./time-budget.ts";

/** What the read and write helpers share: the entities, the client and the time budget. */
export interface StoreContext {
  documentClient: DynamoDBDocumentClient;
  /** The same client's JSON protocol without its middleware, for the boot path's hot calls. */
  direct: DirectCall;
  tableName: string;
  timeoutMs: number;
  node: NodeEntity;
  image: ImageEntity;
  macClaim: MacClaimEntity;
  uuidClaim: UuidClaimEntity;
}

export function createStoreContext(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  timeoutMs: number,
): StoreContext {
  const table = createSwiftbootTable(documentClient, tableName);
  return {
    documentClient,
    direct: createDirectCall(documentClient.config, timeoutMs),
    tableName,
    timeoutMs,
    node: createNodeEntity(table),
    image: createImageEntity(table),
    macClaim: createMacClaimEntity(table),
    uuidClaim: createUuidClaimEntity(table),
  };
}

/**
 * One DynamoDB call within the store's time budget: the SDK's own request timeout and retry count
 * (client.ts) bound each attempt, and this AbortSignal bounds the whole call, back-off included.
 * SDK failures become StoreError/StoreUnavailableError here.
 */
export async function call<T>(
  ctx: StoreContext,
  operation: string,
  send: (options: { abortSignal: AbortSignal }) => Promise<T>,
  /** A budget shared with other calls of the same lookup, instead of a fresh one. */
  signal?: AbortSignal,
): Promise<T> {
  try {
    return signal === undefined
      ? await withTimeBudget(ctx.timeoutMs, (abortSignal) => send({ abortSignal }))
      : await send({ abortSignal: signal });
  } catch (error) {
    throw toStoreError(error, operation, ctx.timeoutMs);
  }
}

/** dynamodb-toolbox rejects stored items of the wrong shape while formatting them: corrupt. */
export function formatOrCorrupt<T>(key: string, format: () => T): T {
  try {
    return format();
  } catch (error) {
    throw corruptIfFormatError(key, error);
  }
}

/** A GetItem through dynamodb-toolbox, whose formatting failures name the key read. */
export async function getOrCorrupt<T>(
  ctx: StoreContext,
  key: string,
  send: (options: { abortSignal: AbortSignal }) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await call(ctx, `GetItem ${key}`, send, signal);
  } catch (error) {
    throw corruptIfFormatError(key, error);
  }
}

function corruptIfFormatError(key: string, error: unknown): unknown {
  return DynamoDBToolboxError.match(error, "formatter.")
    ? new CorruptRecordError(key, error.message)
    : error;
}
