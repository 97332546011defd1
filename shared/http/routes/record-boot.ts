import type { Context } from "hono";
import type { BootLogFields } from "../../boot/index.ts";
import type { Config } from "../../config/index.ts";
import type { Logger } from "../../log/index.ts";
import { PROVISION_STATES, type ProvisionState } from "../../model/index.ts";
import type { BootRecord } from "../../store/boot-record.ts";
import type { BootStore } from "../../store/types.ts";

/** A history write that has not finished by then is abandoned (the store's own bound is shorter). */
const HISTORY_TIMEOUT_MS = 5_000;

/** The history entry for a script, from the same fields the request log gets (no URLs). */
export function bootRecordOf(
  fields: BootLogFields,
  at: Date,
  client: string | undefined,
): BootRecord | undefined {
  if (fields.node === undefined) return undefined; // unknown machines have no node to file it under
  const state = (PROVISION_STATES as readonly string[]).includes(fields.state ?? "")
    ? (fields.state as ProvisionState)
    : undefined;
  const optional = {
    client: client?.slice(0, 100),
    mac: fields.mac,
    uuid: fields.uuid,
    arch: fields.arch,
    platform: fields.platform,
    state,
    purpose: fields.purpose,
    kernel: fields.kernel,
    ramdisk: fields.ramdisk,
    expires_at: fields.expires_at,
    reason: fields.reason?.slice(0, 1000),
  };
  return {
    at: at.toISOString(),
    node: fields.node,
    attempt: fields.attempt,
    outcome: fields.outcome,
    url_mode: fields.url_mode,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/**
 * Appends the script just served to the node's boot history without holding up the answer:
 * started, not awaited, bounded in time, and never failing the request (a failure is a warning
 * in the log). On Workers the runtime would cancel it once the response is sent, so it is handed
 * to `executionCtx.waitUntil` where one exists.
 */
export function recordBootInBackground(
  c: Context,
  deps: { config: Config; store: BootStore; logger: Logger },
  fields: BootLogFields,
  at: Date,
  client: string | undefined,
): void {
  const days = deps.config.admin.boot_history_days;
  const record = bootRecordOf(fields, at, client);
  const store = deps.store;
  if (days === 0 || record === undefined || store.recordBoot === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${HISTORY_TIMEOUT_MS} ms`)),
      HISTORY_TIMEOUT_MS,
    );
  });
  // Started from a resolved promise, so even a store that throws synchronously cannot fail the boot.
  const write = Promise.resolve().then(() => store.recordBoot?.(record, days * 86_400));
  const work = Promise.race([write, timeout])
    .catch((error: unknown) => {
      deps.logger.warn("boot history not recorded", {
        node: record.node,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    })
    .finally(() => clearTimeout(timer));
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (Node, Lambda): the promise runs on by itself.
  }
}
