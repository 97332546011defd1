import { macHexhyp } from "../boot/identity.ts";
import type { Inventory, Node } from "../model/index.ts";
import { IdentityConflictError, VersionMismatchError } from "../store/errors.ts";
import type { AdminStore } from "../store/types.ts";

/**
 * Turning a machine no node matched into a node in `enroll`: by an operator (`swiftboot nodes
 * enroll`, `POST /v1/discovered/{mac}/enroll`) or by the machine itself, when its discovery
 * boot reports `done` (`ipxe.unknown_action = discover`).
 */
export interface EnrollRequest {
  mac: string;
  uuid?: string | undefined;
  /** Default: derived from the UUID, else the MAC (enrolledNodeId). */
  id?: string | undefined;
  name?: string | undefined;
  inventory?: Inventory | undefined;
}

export type EnrollOutcome =
  | { kind: "created"; node: Node; version: number }
  /** A node with that id already holds the MAC: enrolled before, nothing changes. */
  | { kind: "exists"; node: Node; version: number }
  /** The id or the MAC/UUID belongs to another node. */
  | { kind: "conflict"; reason: string; error?: IdentityConflictError };

/** `<uuid>` when the machine reported one, else `mac-52-54-00-12-34-56`. */
export function enrolledNodeId(mac: string, uuid: string | undefined): string {
  return uuid ?? `mac-${macHexhyp(mac)}`;
}

export async function enrollMachine(
  store: Pick<AdminStore, "getNodeVersioned" | "writeNode">,
  request: EnrollRequest,
): Promise<EnrollOutcome> {
  const id = request.id ?? enrolledNodeId(request.mac, request.uuid);
  const node: Node = {
    id,
    name: request.name ?? id,
    macs: [request.mac],
    ...(request.uuid === undefined ? {} : { uuid: request.uuid }),
    state: "enroll",
    ...(request.inventory === undefined ? {} : { inventory: request.inventory }),
  };
  try {
    // Create only (version 0): an existing node is never replaced by an enrollment.
    const written = await store.writeNode(node, { expectedVersion: 0 });
    return { kind: "created", node, version: written.version };
  } catch (error) {
    if (error instanceof IdentityConflictError) {
      return { kind: "conflict", reason: error.message, error };
    }
    if (!(error instanceof VersionMismatchError)) throw error;
  }
  const existing = await store.getNodeVersioned(id);
  if (existing?.record.macs.includes(request.mac)) {
    return { kind: "exists", node: existing.record, version: existing.version };
  }
  return {
    kind: "conflict",
    reason: `node ${id} already exists and does not hold MAC ${request.mac}`,
  };
}
