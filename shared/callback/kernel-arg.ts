import type { BootPlan } from "../boot/plan.ts";
import type { Config } from "../config/index.ts";
import { ID_PATTERN, type ProvisionState } from "../model/index.ts";
import { callbackSettings } from "./settings.ts";
import { CALLBACK_KERNEL_ARG, type CallbackSubject, signCallbackUrl } from "./url.ts";

/**
 * The states whose ramdisk reports back: each has a `done` and a `fail` transition. (`rescue`
 * boots the rescue ramdisk too, but nothing is waiting for it to finish.)
 */
export const REPORTING_STATES: readonly ProvisionState[] = [
  "deploying",
  "cleaning",
  "inspecting",
  "rescuing",
];

/** `swiftboot.callback=<URL>`, or undefined when the boot has nothing to report or no key. */
export function callbackArg(
  config: Config,
  subject: CallbackSubject,
  now: number,
  baseUrl: string,
): string | undefined {
  const settings = callbackSettings(config);
  if (settings.keys === undefined) return undefined;
  const url = signCallbackUrl(baseUrl, subject, now + settings.ttl, settings.keys.current);
  return `${CALLBACK_KERNEL_ARG}=${url}`;
}

/**
 * The plan with the callback argument after swiftboot's own `BOOTIF` (before the node's
 * kernel_args), when the node's state reports back and the node has a `state_id` to bind it to
 * (nodes written by other tools get one on their next write).
 */
export function withNodeCallback<P extends Extract<BootPlan, { kind: "boot" }>>(
  plan: P,
  config: Config,
  now: number,
  baseUrl: string,
): P {
  const { node } = plan;
  if (plan.purpose === "instance" || !REPORTING_STATES.includes(node.state)) return plan;
  // Records are validated when read; this only guards against one that was not.
  if (node.state_id === undefined || !isBindable(node.id, node.state_id)) return plan;
  const arg = callbackArg(
    config,
    { kind: "node", nodeId: node.id, state: node.state, stateId: node.state_id },
    now,
    baseUrl,
  );
  if (arg === undefined) return plan;
  return {
    ...plan,
    kernelArgs: [...plan.kernelArgs.slice(0, 1), arg, ...plan.kernelArgs.slice(1)],
  };
}

/** A node id and state id a callback URL can carry and verify. */
export function isBindable(nodeId: string, stateId: string): boolean {
  return ID_PATTERN.test(nodeId) && /^[0-9a-f]{16}$/.test(stateId);
}
