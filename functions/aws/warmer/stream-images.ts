import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { type Image, imageSchema } from "../../../shared/model/index.ts";

/**
 * The image a table stream record carries, if any: INSERT or MODIFY of an `IMAGE#<id>` / `IMAGE`
 * item (shared/store/table.ts), as it now is. Store bookkeeping (keys, version, timestamps, index
 * keys) is dropped; what remains must be a valid Image. The stack's event filter already passes
 * only such records; this check keeps the handler correct without it.
 */
export function imageOfRecord(record: DynamoDBRecord): Image | undefined {
  if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") return undefined;
  const keys = record.dynamodb?.Keys;
  if (!keys?.pk?.S?.startsWith("IMAGE#") || keys.sk?.S !== "IMAGE") return undefined;
  const item = record.dynamodb?.NewImage;
  if (item === undefined) return undefined;
  const raw = unmarshall(item as Record<string, AttributeValue>);
  const fields = Object.fromEntries(
    Object.keys(imageSchema.shape).flatMap((k) => (k in raw ? [[k, raw[k]]] : [])),
  );
  const parsed = imageSchema.safeParse(fields);
  if (!parsed.success) throw new Error(`${keys.pk.S}: not a valid image in the stream record`);
  return parsed.data;
}
