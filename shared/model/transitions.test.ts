import { describe, expect, it } from "vitest";
import { PROVISION_STATES, type ProvisionState } from "./node.ts";
import {
  allowedTransitions,
  applyAction,
  IllegalTransitionError,
  nextState,
  PROVISION_ACTIONS,
  type ProvisionAction,
  unreachableStates,
} from "./transitions.ts";

/** Walks a path of actions from a state, returning the states visited. */
function walk(from: ProvisionState, actions: ProvisionAction[]): ProvisionState[] {
  const seen = [from];
  let state = from;
  for (const action of actions) {
    state = applyAction(state, action);
    seen.push(state);
  }
  return seen;
}

describe("provision state machine", () => {
  it.each([
    ["enroll", "manage", "manageable"],
    ["manageable", "inspect", "inspecting"],
    ["inspecting", "done", "manageable"],
    ["manageable", "provide", "available"],
    ["available", "deploy", "deploying"],
    ["deploying", "done", "active"],
    ["deploying", "fail", "error"],
    ["active", "rescue", "rescuing"],
    ["rescuing", "done", "rescue"],
    ["rescue", "unrescue", "unrescuing"],
    ["unrescuing", "done", "active"],
    ["active", "delete", "deleting"],
    ["deleting", "done", "cleaning"],
    ["cleaning", "done", "available"],
    ["error", "delete", "deleting"],
    ["error", "rebuild", "deploying"],
    ["manageable", "adopt", "active"],
  ] as const)("%s --%s--> %s", (from, action, to) => {
    expect(nextState(from, action)).toBe(to);
  });

  it("walks the documented lifecycles", () => {
    expect(walk("enroll", ["manage", "inspect", "done", "provide", "deploy", "done"])).toEqual([
      "enroll",
      "manageable",
      "inspecting",
      "manageable",
      "available",
      "deploying",
      "active",
    ]);
    expect(walk("active", ["delete", "done", "done"]).at(-1)).toBe("available");
    expect(walk("active", ["rescue", "done", "unrescue", "done"]).at(-1)).toBe("active");
  });

  it("refuses illegal actions, naming what is allowed", () => {
    expect(() => applyAction("enroll", "deploy")).toThrow(IllegalTransitionError);
    try {
      applyAction("available", "done");
    } catch (error) {
      expect(error).toBeInstanceOf(IllegalTransitionError);
      const e = error as IllegalTransitionError;
      expect(e.allowed).toEqual([
        { action: "manage", to: "manageable" },
        { action: "deploy", to: "deploying" },
      ]);
      expect(e.message).toBe(
        "action done is not allowed from state available; allowed: manage (→ manageable), deploy (→ deploying)",
      );
    }
  });

  it("lets every state leave (no dead ends) and reach every state but enroll", () => {
    for (const state of PROVISION_STATES)
      expect(allowedTransitions(state).length).toBeGreaterThan(0);
    expect(unreachableStates()).toEqual(["enroll"]);
  });

  it("reaches available from every state (a node can always be recovered)", () => {
    for (const start of PROVISION_STATES) {
      const seen = new Set<ProvisionState>([start]);
      const queue = [start];
      while (queue.length > 0) {
        const state = queue.shift() as ProvisionState;
        for (const { to } of allowedTransitions(state)) {
          if (!seen.has(to)) {
            seen.add(to);
            queue.push(to);
          }
        }
      }
      expect(seen.has("available"), `from ${start}`).toBe(true);
    }
  });

  it("agrees with allowedTransitions for every (state, action) pair", () => {
    for (const state of PROVISION_STATES) {
      const allowed = new Set(allowedTransitions(state).map((t) => t.action));
      for (const action of PROVISION_ACTIONS) {
        expect(nextState(state, action) !== undefined).toBe(allowed.has(action));
      }
    }
  });
});
