import type { LastReport, Node, ProvisionState, ReportBody } from "../model/index.ts";
import { nextState } from "../model/transitions.ts";
import {
  ConcurrentModificationError,
  IdentityConflictError,
  VersionMismatchError,
} from "../store/errors.ts";
import type { AdminStore } from "../store/types.ts";

/**
 * Applying a node's callback report: the state machine's `done` or `fail` for the state the URL
 * was issued in, only while the node is still in that very stay (`state_id`). The write is
 * conditional on the version read, so a report racing an operator's action, or a copy of
 * itself, is applied once or refused, never both: the loser re-reads and decides again.
 */
export type ReportStore = Pick<AdminStore, "getNodeVersioned" | "writeNode">;

export interface ReportRequest {
  nodeId: string;
  state: ProvisionState;
  stateId: string;
  body: ReportBody;
  at: Date;
  /** `callback.adopt_macs`: add the inventory's MACs to the node. */
  adoptMacs: boolean;
}

export type ReportOutcome =
  | {
      kind: "applied";
      from: ProvisionState;
      to: ProvisionState;
      /** MACs of the inventory added to the node. */
      adopted: string[];
      /** MACs of the inventory left out because another node holds them. */
      conflicts: string[];
    }
  /** The same report was applied before: nothing changes. */
  | { kind: "unchanged"; from: ProvisionState }
  /** The node has moved past the boot the URL was issued for (or is gone): nothing changes. */
  | { kind: "refused"; reason: string };

const MAX_ATTEMPTS = 4;
const MAX_MACS = 32;

export async function applyNodeReport(
  store: ReportStore,
  request: ReportRequest,
): Promise<ReportOutcome> {
  const conflicts = new Set<string>();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await store.getNodeVersioned(request.nodeId);
    if (current === undefined) {
      return { kind: "refused", reason: `node ${request.nodeId} no longer exists` };
    }
    const node = current.record;
    if (node.state !== request.state || node.state_id !== request.stateId) {
      return repeatOrRefusal(node, request);
    }
    const to = nextState(node.state, request.body.status);
    if (to === undefined) {
      return { kind: "refused", reason: `state ${node.state} takes no reports` };
    }
    const adopted = adoptedMacs(node, request, conflicts);
    const next = reportedNode(node, to, adopted, request);
    try {
      await store.writeNode(next, { expectedVersion: current.version });
      return { kind: "applied", from: node.state, to, adopted, conflicts: [...conflicts] };
    } catch (error) {
      if (error instanceof IdentityConflictError && error.kind === "mac") {
        conflicts.add(error.value); // leave that MAC out and try again
        continue;
      }
      if (!(error instanceof VersionMismatchError)) throw error;
      // Someone wrote the node since it was read: read again and decide again.
    }
  }
  throw new ConcurrentModificationError(
    `node ${request.nodeId} kept changing during ${MAX_ATTEMPTS} attempts to apply a report`,
  );
}

function repeatOrRefusal(node: Node, request: ReportRequest): ReportOutcome {
  const last = node.last_report;
  if (last?.state_id === request.stateId && last.state === request.state) {
    return last.status === request.body.status
      ? { kind: "unchanged", from: last.state }
      : {
          kind: "refused",
          reason: `this boot already reported ${last.status}; a report cannot be changed`,
        };
  }
  return {
    kind: "refused",
    reason: `node ${node.id} has moved past the boot this URL was issued for (issued in state ${request.state})`,
  };
}

function adoptedMacs(node: Node, request: ReportRequest, conflicts: Set<string>): string[] {
  const reported = request.body.inventory?.macs;
  if (!request.adoptMacs || reported === undefined) return [];
  const room = MAX_MACS - node.macs.length;
  const fresh = [...new Set(reported)].filter((m) => !node.macs.includes(m) && !conflicts.has(m));
  return fresh.slice(0, Math.max(0, room));
}

function reportedNode(
  node: Node,
  to: ProvisionState,
  adopted: string[],
  { body, at, stateId }: ReportRequest,
): Node {
  const lastReport: LastReport = {
    at: at.toISOString(),
    status: body.status,
    state: node.state,
    state_id: stateId,
    ...(body.message === undefined ? {} : { message: body.message }),
  };
  return {
    ...node,
    state: to,
    macs: [...node.macs, ...adopted],
    last_report: lastReport,
    ...(body.inventory === undefined ? {} : { inventory: body.inventory }),
  };
}
