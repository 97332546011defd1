import { imageRefsOf } from "../../import/image-refs.ts";
import type { Node } from "../../model/index.ts";
import { allowedTransitions } from "../../model/transitions.ts";
import type { AdminStore } from "../../store/types.ts";
import { ProblemError, validationProblem } from "../problem.ts";

/** Every image the node names must exist: 400 naming each field that names a missing one. */
export async function checkImagesExist(store: AdminStore, node: Node): Promise<void> {
  const refs = imageRefsOf(node);
  if (refs.length === 0) return;
  const found = await store.getImages(refs.map((r) => r.id));
  const missing = refs.filter((r) => !found.has(r.id));
  if (missing.length > 0) {
    throw validationProblem(
      missing.map((r) => ({ path: r.path, message: `unknown image ${JSON.stringify(r.id)}` })),
    );
  }
}

/** A write that would change the state: refused, pointing at the actions that can. */
export function stateChangeProblem(id: string, current: Node, wanted: string): ProblemError {
  const allowed = allowedTransitions(current.state);
  return new ProblemError(
    "state-change",
    `node ${id} is ${current.state}; state changes only through POST /v1/nodes/${id}/actions/{action} (to reach ${wanted}, follow the allowed actions)`,
    {
      errors: [{ path: "state", message: `must stay ${current.state}; use an action` }],
      state: current.state,
      allowed,
    },
  );
}
