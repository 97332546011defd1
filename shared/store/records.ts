import {
  describeProblems,
  type Image,
  imageSchema,
  type Node,
  nodeSchema,
} from "../model/index.ts";
import * as z from "../validation/zod.ts";
import { CorruptRecordError, InvalidRecordError } from "./errors.ts";

/**
 * The model's zod schemas are the single authority on what a record may hold. Every record is
 * checked on its way in (InvalidRecordError, nothing written) and on its way out
 * (CorruptRecordError naming the key, never a half-parsed object).
 */

export const nodeKey = (id: string) => `NODE#${id}`;
export const imageKey = (id: string) => `IMAGE#${id}`;

function check<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  fail: (problems: string) => Error,
): z.output<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) throw fail(describeProblems(result.error));
  return result.data;
}

export function nodeForWrite(node: Node): Node {
  return check(nodeSchema, node, (p) => new InvalidRecordError(nodeKey(String(node?.id)), p));
}

export function imageForWrite(image: Image): Image {
  return check(imageSchema, image, (p) => new InvalidRecordError(imageKey(String(image?.id)), p));
}

export function nodeFromItem(key: string, item: unknown): Node {
  return check(nodeSchema, item, (p) => new CorruptRecordError(key, p));
}

export function imageFromItem(key: string, item: unknown): Image {
  return check(imageSchema, item, (p) => new CorruptRecordError(key, p));
}
