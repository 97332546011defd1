import type { Context } from "hono";
import type { BootIdentity } from "../../boot/identity.ts";
import type { Config } from "../../config/index.ts";
import { canRecordSightings } from "../../discovery/record.ts";
import { DiscoveryRecorder } from "../../discovery/recorder.ts";
import type { Logger } from "../../log/index.ts";
import type { BootStore } from "../../store/types.ts";

/** A discovery write that has not finished by then is abandoned. */
const DISCOVERY_TIMEOUT_MS = 5_000;

/** One recorder per store, so its limits hold for everything this process serves from it. */
const recorders = new WeakMap<object, DiscoveryRecorder>();

/**
 * Records an unknown machine's request in the discovered list without holding up the answer:
 * started, not awaited, bounded in time, handed to `executionCtx.waitUntil` where the runtime has
 * one, and never failing the request (a failure is a warning in the log). Requests without a
 * valid MAC are not recorded: there is nothing to key them on. Stores without a discovered list
 * (a boot-only store) record nothing.
 */
export function recordDiscoveryInBackground(
  c: Context,
  deps: { config: Config; store: BootStore; logger: Logger },
  request: BootIdentity,
  at: Date,
  client: string | undefined,
): void {
  const store = deps.store;
  if (request.mac === undefined || !canRecordSightings(store)) return;
  let recorder = recorders.get(store);
  if (recorder === undefined) {
    recorder = new DiscoveryRecorder();
    recorders.set(store, recorder);
  }
  const sighting = {
    mac: request.mac,
    uuid: request.uuid,
    arch: request.arch,
    platform: request.platform,
    client,
    at,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${DISCOVERY_TIMEOUT_MS} ms`)),
      DISCOVERY_TIMEOUT_MS,
    );
  });
  const ttl = deps.config.discovery.ttl_days * 86_400;
  const active = recorder;
  // From a resolved promise, so a store that throws synchronously cannot fail the boot.
  const write = Promise.resolve().then(() => active.record(store, sighting, ttl));
  const work = Promise.race([write, timeout])
    .catch((error: unknown) => {
      deps.logger.warn("discovered machine not recorded", {
        mac: request.mac,
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
