import { DeleteItemCommand } from "dynamodb-toolbox/entity/actions/delete";
import type { Condition } from "dynamodb-toolbox/entity/actions/parseCondition";
import { PutItemCommand } from "dynamodb-toolbox/entity/actions/put";
import type { Image } from "../model/index.ts";
import { getImageBeforeWrite, type ImageBeforeWrite } from "./before-write-reads.ts";
import { call, type StoreContext } from "./context.ts";
import type { ImageEntity } from "./entities/image.ts";
import { ConcurrentModificationError, ImageInUseError } from "./errors.ts";
import { checkExpected } from "./node-writes.ts";
import { imageForWrite, imageKey } from "./records.ts";
import type { WriteOptions, WriteResult } from "./types.ts";
import { imageUsers } from "./usage.ts";

/**
 * Image writes: a read, then one conditional write on the version (and usage version) read, so
 * concurrent writers cannot overwrite each other unseen; a lost race is retried from a new read.
 */

const MAX_ATTEMPTS = 4;
/** Users named in an ImageInUseError. */
const USERS_LISTED = 50;

/** The stored image is still what we read: same version, and no node started using it since. */
function unchanged(current: ImageBeforeWrite): Condition<ImageEntity> {
  return {
    and: [
      { attr: "id", exists: true },
      current.version === undefined
        ? { attr: "version", exists: false }
        : { attr: "version", eq: current.version },
      current.usage === undefined
        ? { attr: "uv", exists: false }
        : { attr: "uv", eq: current.usage },
    ],
  };
}

/** Runs a conditional write; false when its condition failed (a lost race), not an error. */
async function conditional(
  ctx: StoreContext,
  operation: string,
  send: (options: { abortSignal: AbortSignal }) => Promise<unknown>,
): Promise<boolean> {
  return call(ctx, operation, async (options) => {
    try {
      await send(options);
      return true;
    } catch (error) {
      if ((error as { name?: unknown })?.name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  });
}

const LOST = Symbol("lost race");

async function retry<T>(key: string, attempt: () => Promise<T | typeof LOST>): Promise<T> {
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    if (n > 1) await new Promise((r) => setTimeout(r, 20 * 2 ** n * Math.random()));
    const result = await attempt();
    if (result !== LOST) return result;
  }
  throw new ConcurrentModificationError(
    `${key} kept changing during ${MAX_ATTEMPTS} attempts to write it; try again`,
  );
}

export async function putImage(
  ctx: StoreContext,
  input: Image,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const image = imageForWrite(input);
  const key = imageKey(image.id);
  return retry(key, async () => {
    const current = await getImageBeforeWrite(ctx, image.id);
    checkExpected(key, options.expectedVersion, current);
    const version = (current?.version ?? 0) + 1;
    const item = {
      ...image,
      version,
      // Kept across replacements: it is the node writes' record, not the image's.
      ...(current?.usage === undefined ? {} : { uv: current.usage }),
    };
    const condition: Condition<ImageEntity> =
      current === undefined ? { attr: "id", exists: false } : unchanged(current);
    const written = await conditional(ctx, `PutItem ${key}`, (o) =>
      ctx.image.build(PutItemCommand).item(item).options({ condition }).send(o),
    );
    return written ? { version, created: current === undefined } : LOST;
  });
}

/**
 * Deletes an image no node uses. The users are read after the image, and the delete is
 * conditional on the image's version and usage version being those read, so a node that starts
 * using it in between (its transaction bumps the usage version) makes this retry and refuse.
 */
export async function deleteImage(
  ctx: StoreContext,
  id: string,
  options: WriteOptions = {},
): Promise<boolean> {
  const key = imageKey(id);
  return retry(key, async () => {
    const current = await getImageBeforeWrite(ctx, id);
    if (current === undefined) return false;
    checkExpected(key, options.expectedVersion, current);
    const users = await imageUsers(ctx, id, USERS_LISTED);
    if (users.nodeIds.length > 0) throw new ImageInUseError(id, users.nodeIds, users.more);
    const deleted = await conditional(ctx, `DeleteItem ${key}`, (o) =>
      ctx.image
        .build(DeleteItemCommand)
        .key({ id })
        .options({ condition: unchanged(current) })
        .send(o),
    );
    return deleted ? true : LOST;
  });
}
