import { inventorySchema, lastReportSchema, type Node, stateIdSchema } from "../model/index.ts";

/**
 * Fields of a node that the store keeps rather than the writer (docs/provisioning.md):
 *
 * - `state_id` names one stay in a provision state. Every write that creates the node or changes
 *   its state draws a new one; every other write keeps the stored one, whatever the input says.
 *   Callback URLs are bound to it, so a report for a boot the node has moved past (another state,
 *   a later stay in the same state, a node deleted and created again under the same id) cannot
 *   match.
 * - `last_report` and `inventory` come from callback reports. A write that omits them keeps the
 *   stored ones, so re-importing a fleet file or an operator's PUT does not erase what machines
 *   reported; a write that carries them replaces them.
 *
 * `current` holds the stored item's raw values (undefined when there is none); values that fail
 * validation are dropped rather than carried into the new record.
 */
export interface StoredProvisionFields {
  state?: unknown;
  state_id?: unknown;
  last_report?: unknown;
  inventory?: unknown;
}

export function withProvisionFields(node: Node, current: StoredProvisionFields | undefined): Node {
  const { state_id: _ignored, ...rest } = node;
  const keptId =
    current !== undefined && current.state === node.state
      ? stateIdSchema.safeParse(current.state_id)
      : undefined;
  const result: Node = { ...rest, state_id: keptId?.success ? keptId.data : newStateId() };
  if (result.last_report === undefined && current?.last_report !== undefined) {
    const parsed = lastReportSchema.safeParse(current.last_report);
    if (parsed.success) result.last_report = parsed.data;
  }
  if (result.inventory === undefined && current?.inventory !== undefined) {
    const parsed = inventorySchema.safeParse(current.inventory);
    if (parsed.success) result.inventory = parsed.data;
  }
  return result;
}

/** 64 random bits as 16 hex digits. */
export function newStateId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The raw provision fields of a stored item, for withProvisionFields. */
export function storedProvisionFields(item: Record<string, unknown>): StoredProvisionFields {
  return {
    state: item.state,
    state_id: item.state_id,
    last_report: item.last_report,
    inventory: item.inventory,
  };
}

/** The fields the store keeps; images have none of them, so they pass through unchanged. */
export type StoreKept = Partial<Pick<Node, "state_id" | "last_report" | "inventory">>;

/**
 * The stored node as a writer of `next` would see it: without the fields the store keeps on its
 * own (state_id always; last_report and inventory when `next` leaves them out, since the write
 * would keep them). For "unchanged" decisions such as the import's.
 */
export function asWrittenBy<T extends StoreKept>(stored: T, next: T): Omit<T, "state_id"> {
  const { state_id: _id, ...rest } = stored;
  if (next.last_report === undefined) delete rest.last_report;
  if (next.inventory === undefined) delete rest.inventory;
  return rest;
}
