import type { Context } from "hono";
import type { CallbackSubject } from "../../callback/url.ts";
import { enrollMachine } from "../../discovery/enroll.ts";
import type { ReportBody } from "../../model/index.ts";
import type { AdminStore } from "../../store/types.ts";
import { ProblemError } from "../problem.ts";
import type { AppEnv } from "../types.ts";

/** What a discovery report needs: node writes, and the discovered list to clear. */
export interface DiscoveryReporter {
  store: Pick<AdminStore, "getNodeVersioned" | "writeNode">;
  /** Removes the machine from the discovered list once it is a node. */
  forget?: (mac: string) => Promise<unknown>;
}

/**
 * A discovery boot's report (`ipxe.unknown_action = discover`): `done` creates the node in
 * `enroll` with the booting MAC, the UUID and the inventory; `fail` is noted in the log only
 * (there is no node to keep it on). The same report again finds the node and changes nothing.
 */
export async function discoveryReportRoute(
  c: Context<AppEnv>,
  reporter: DiscoveryReporter,
  subject: Extract<CallbackSubject, { kind: "discovery" }>,
  body: ReportBody,
  _at: Date,
): Promise<Response> {
  const fields = c.get("logFields");
  fields.mac = subject.mac;
  if (body.status === "fail") {
    fields.outcome = "discovery-fail";
    if (body.message !== undefined) fields.report_message = body.message;
    return c.json({ result: "noted", status: "fail" }, 200);
  }
  const outcome = await enrollMachine(reporter.store, {
    mac: subject.mac,
    uuid: subject.uuid,
    inventory: body.inventory,
  });
  fields.outcome = `discovery-${outcome.kind}`;
  if (outcome.kind === "conflict") throw new ProblemError("report-refused", outcome.reason);
  fields.node = outcome.node.id;
  if (outcome.kind === "created" && reporter.forget !== undefined) {
    await reporter.forget(subject.mac).catch(() => undefined); // it expires anyway
  }
  return c.json(
    {
      result: outcome.kind === "created" ? "enrolled" : "unchanged",
      node: outcome.node.id,
      state: outcome.node.state,
    },
    200,
  );
}
