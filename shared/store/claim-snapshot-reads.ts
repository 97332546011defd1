import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { ID_PATTERN, type Node } from "../model/index.ts";
import { getOrCorrupt, type StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import { CorruptRecordError } from "./errors.ts";
import { nodeFromItem } from "./records.ts";
import { getNode, type ReadOptions } from "./strict-reads.ts";

/**
 * What a MAC claim carries of its node: everything a boot script needs. Reports and inventory
 * (up to 64 KiB) stay on the node item only, so a boot read stays one small GetItem.
 */
export function bootSnapshot(node: Node): Node {
  const { inventory: _inventory, last_report: _report, ...rest } = node;
  return rest;
}

/**
 * The boot path's lookup by MAC: one GetItem on the MAC claim, which carries the node's record
 * (written in the same transaction as the node item, node-writes.ts). A claim without it (written
 * before the snapshot existed) is followed by a GetItem on the node, as before. Either way a node
 * that does not list the MAC, or is not the claim's owner, is not found. A snapshot lacks the
 * node's reports and inventory (bootSnapshot): read the node item for those.
 */
export async function findNodeByMacClaim(
  ctx: StoreContext,
  canonicalMac: string,
  read: ReadOptions,
): Promise<Node | undefined> {
  const mac = macKey(canonicalMac);
  const key = `MAC#${mac}`;
  const { Item: item } = await getOrCorrupt(
    ctx,
    key,
    (options) =>
      ctx.macClaim
        .build(GetItemCommand)
        .key({ mac })
        .options({ consistent: read.consistent })
        .send(options),
    read.signal,
  );
  if (item === undefined) return undefined;
  if (!ID_PATTERN.test(item.nodeId)) throw new CorruptRecordError(key, "nodeId: not a node id");
  let node: Node | undefined;
  if (item.node === undefined) {
    node = await getNode(ctx, item.nodeId, read);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(item.node);
    } catch {
      throw new CorruptRecordError(key, "node: not JSON");
    }
    node = nodeFromItem(`${key} node`, parsed);
    if (node.id !== item.nodeId)
      throw new CorruptRecordError(key, "node: a snapshot of another node than nodeId");
  }
  return node?.macs.includes(canonicalMac) ? node : undefined;
}
