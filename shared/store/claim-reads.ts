import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { ID_PATTERN } from "../model/index.ts";
import { getOrCorrupt, type StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import { CorruptRecordError } from "./errors.ts";
import type { ReadOptions } from "./strict-reads.ts";

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
