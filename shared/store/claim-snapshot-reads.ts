import { ID_PATTERN, type Node } from "../model/index.ts";
import type { StoreContext } from "./context.ts";
import type { AttributeMap, DirectGetItem } from "./direct-get-item.ts";
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
 *
 * The claim is read with `getItem` (direct-get-item.ts: the SDK's signer and HTTP handler without
 * its middleware), the one read every script makes; its two attributes are checked here as
 * dynamodb-toolbox would (macClaimItemSchema), the node's record by the model's schema.
 */
export async function findNodeByMacClaim(
  ctx: StoreContext,
  getItem: DirectGetItem,
  canonicalMac: string,
  read: ReadOptions & { signal: AbortSignal },
): Promise<Node | undefined> {
  const key = `MAC#${macKey(canonicalMac)}`;
  const item = await getItem({ pk: key, sk: "CLAIM" }, read);
  if (item === undefined) return undefined;
  const nodeId = stringAttribute(item, "nodeId");
  if (nodeId === undefined || !ID_PATTERN.test(nodeId))
    throw new CorruptRecordError(key, "nodeId: not a node id");
  const snapshot = stringAttribute(item, "node");
  let node: Node | undefined;
  if (snapshot === undefined) {
    if (item.node !== undefined) throw new CorruptRecordError(key, "node: not a string");
    node = await getNode(ctx, nodeId, read);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(snapshot);
    } catch {
      throw new CorruptRecordError(key, "node: not JSON");
    }
    node = nodeFromItem(`${key} node`, parsed);
    if (node.id !== nodeId)
      throw new CorruptRecordError(key, "node: a snapshot of another node than nodeId");
  }
  return node?.macs.includes(canonicalMac) ? node : undefined;
}

/** A string attribute (`{"S": ...}`) of a raw item; undefined when absent or of another type. */
function stringAttribute(item: AttributeMap, name: string): string | undefined {
  const value = item[name]?.S;
  return typeof value === "string" ? value : undefined;
}
