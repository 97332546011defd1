import * as z from "../validation/zod.ts";
import { PROVISION_STATES, type ProvisionState } from "./node.ts";

/**
 * Provision state transitions, after OpenStack Ironic's state machine: operators (and the tools
 * driving deployments) move a node with named actions, never by writing its state. The table is
 * the whole machine; everything else here only reads it.
 *
 * Simplifications against Ironic, because a boot server cannot tell them apart: no `wait`
 * sub-states, and every failure (`fail`) lands in `error` rather than `deploy failed`,
 * `clean failed`, `inspect failed` and so on. `manage` brings an `error` node back to
 * `manageable`, as Ironic's `manage` does from its failed states.
 */
export const PROVISION_ACTIONS = [
  "manage",
  "inspect",
  "provide",
  "clean",
  "adopt",
  "deploy",
  "rebuild",
  "delete",
  "rescue",
  "unrescue",
  "done",
  "fail",
] as const;
export type ProvisionAction = (typeof PROVISION_ACTIONS)[number];
export const provisionActionSchema = z.enum(PROVISION_ACTIONS);

type Table = Record<ProvisionAction, Partial<Record<ProvisionState, ProvisionState>>>;

/** action → (from → to). */
export const TRANSITIONS: Readonly<Table> = {
  manage: { enroll: "manageable", available: "manageable", error: "manageable" },
  inspect: { manageable: "inspecting" },
  provide: { manageable: "available" },
  clean: { manageable: "cleaning" },
  adopt: { manageable: "active" },
  deploy: { available: "deploying" },
  rebuild: { active: "deploying", error: "deploying" },
  delete: { active: "deleting", deploying: "deleting", rescue: "deleting", error: "deleting" },
  rescue: { active: "rescuing", rescue: "rescuing" },
  unrescue: { rescue: "unrescuing" },
  /** The running step finished: what the deploy ramdisk or the tooling reports. */
  done: {
    inspecting: "manageable",
    deploying: "active",
    rescuing: "rescue",
    unrescuing: "active",
    deleting: "cleaning",
    cleaning: "available",
  },
  fail: {
    inspecting: "error",
    deploying: "error",
    rescuing: "error",
    unrescuing: "error",
    deleting: "error",
    cleaning: "error",
  },
};

export interface AllowedTransition {
  action: ProvisionAction;
  to: ProvisionState;
}

/** Where `action` takes a node in state `from`; undefined when the action is not allowed there. */
export function nextState(
  from: ProvisionState,
  action: ProvisionAction,
): ProvisionState | undefined {
  return TRANSITIONS[action][from];
}

/** Every action allowed from `from`, in the table's order. */
export function allowedTransitions(from: ProvisionState): AllowedTransition[] {
  return PROVISION_ACTIONS.flatMap((action) => {
    const to = TRANSITIONS[action][from];
    return to === undefined ? [] : [{ action, to }];
  });
}

/** An action that the node's current state does not allow; names the ones it does. */
export class IllegalTransitionError extends Error {
  override name = "IllegalTransitionError";
  readonly allowed: AllowedTransition[];
  constructor(
    readonly from: ProvisionState,
    readonly action: string,
  ) {
    const allowed = allowedTransitions(from);
    const list =
      allowed.length === 0 ? "none" : allowed.map((t) => `${t.action} (→ ${t.to})`).join(", ");
    super(`action ${action} is not allowed from state ${from}; allowed: ${list}`);
    this.allowed = allowed;
  }
}

/** The state after `action`, or IllegalTransitionError. */
export function applyAction(from: ProvisionState, action: ProvisionAction): ProvisionState {
  const to = nextState(from, action);
  if (to === undefined) throw new IllegalTransitionError(from, action);
  return to;
}

/** States no action leads to (only `enroll`, where nodes start); for tests and docs. */
export function unreachableStates(): ProvisionState[] {
  const reached = new Set<ProvisionState>();
  for (const action of PROVISION_ACTIONS) {
    for (const to of Object.values(TRANSITIONS[action])) reached.add(to);
  }
  return PROVISION_STATES.filter((s) => !reached.has(s));
}
