import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_REPORT_BODY_BYTES, parseReportBody } from "../../callback/body.ts";
import { REPORTING_STATES } from "../../callback/kernel-arg.ts";
import { applyNodeReport } from "../../callback/report.ts";
import { callbackSettings } from "../../callback/settings.ts";
import { CALLBACK_PATH_PREFIX, verifyCallbackPath } from "../../callback/url.ts";
import type { ReportBody } from "../../model/index.ts";
import type { BootRecord } from "../../store/boot-record.ts";
import type { AdminStore } from "../../store/types.ts";
import type { RouteDeps } from "../compose.ts";
import { ProblemError, problemResponse } from "../problem.ts";
import type { AppEnv } from "../types.ts";
import { type DiscoveryReporter, discoveryReportRoute } from "./discovery-report.ts";

/**
 * `POST /v1/callbacks/...`: what a booted machine reports through the URL on its kernel command
 * line (docs/provisioning.md). No token: the signed URL is the credential, and it allows exactly
 * one thing, reporting how the boot it was issued for went. Every refusal changes nothing:
 * 401/403 for a URL that is expired, forged or altered (checked before the body is even read),
 * 400 for a bad body, 409 for a boot the node has moved past.
 */
export function callbackRoutes(
  deps: RouteDeps & { reportStore: AdminStore; discovery?: DiscoveryReporter },
) {
  const { config, now, reportStore: store, logger } = deps;
  const settings = callbackSettings(config);
  const app = new Hono<AppEnv>();
  const path = `${CALLBACK_PATH_PREFIX}*`;

  app.use(
    path,
    async (c, next) => {
      await next();
      c.header("Cache-Control", "no-store");
    },
    bodyLimit({
      maxSize: MAX_REPORT_BODY_BYTES,
      onError: (c) =>
        problemResponse(
          c as Context<AppEnv>,
          new ProblemError(
            "payload-too-large",
            `reports are limited to ${MAX_REPORT_BODY_BYTES} bytes`,
          ),
        ),
    }),
  );

  app.post(path, async (c) => {
    const fields = c.get("logFields");
    try {
      if (settings.keys === undefined) {
        throw new ProblemError("not-found", "callbacks are off: artifacts.signing_key is not set");
      }
      const nowSeconds = Math.floor(now() / 1000);
      const check = verifyCallbackPath(new URL(c.req.url).pathname, settings.keys, nowSeconds);
      if (!check.ok) {
        fields.callback_refused = check.reason;
        throw new ProblemError(
          check.status === 401 ? "unauthorized" : "forbidden",
          `callback URL refused: ${check.reason}`,
        );
      }
      fields.signed_with = check.signedWith;
      const parsed = parseReportBody(c.req.header("content-type"), await c.req.text());
      if (!parsed.ok) {
        throw parsed.kind === "validation"
          ? new ProblemError(
              "validation",
              parsed.errors.map((e) => `${e.path}: ${e.message}`).join("; "),
              { errors: parsed.errors },
            )
          : new ProblemError(
              "unsupported-media-type",
              "send the report as application/x-www-form-urlencoded or application/json",
            );
      }
      const body = parsed.body;
      fields.report = body.status;
      const subject = check.subject;
      if (subject.kind === "discovery") {
        if (deps.discovery === undefined) {
          throw new ProblemError("not-found", "discovery reports are not served here");
        }
        return await discoveryReportRoute(c, deps.discovery, subject, body, new Date(now()));
      }
      fields.node = subject.nodeId;
      if (!REPORTING_STATES.includes(subject.state)) {
        throw new ProblemError("report-refused", `state ${subject.state} takes no reports`);
      }
      const at = new Date(now());
      const outcome = await applyNodeReport(store, {
        nodeId: subject.nodeId,
        state: subject.state,
        stateId: subject.stateId,
        body,
        at,
        adoptMacs: settings.adoptMacs,
      });
      fields.outcome = `report-${outcome.kind}`;
      if (outcome.kind === "refused") throw new ProblemError("report-refused", outcome.reason);
      if (outcome.kind === "unchanged") {
        return c.json({ result: "unchanged", node: subject.nodeId, status: body.status }, 200);
      }
      Object.assign(fields, { from: outcome.from, to: outcome.to });
      await recordReport(deps, subject.nodeId, outcome.from, body, at);
      return c.json(
        {
          result: "applied",
          node: subject.nodeId,
          status: body.status,
          from: outcome.from,
          to: outcome.to,
          ...(outcome.adopted.length > 0 ? { adopted_macs: outcome.adopted } : {}),
          ...(outcome.conflicts.length > 0 ? { conflicting_macs: outcome.conflicts } : {}),
        },
        200,
      );
    } catch (error) {
      return problemResponse(c, error);
    }
  });

  app.all(path, (c) =>
    problemResponse(
      c,
      new ProblemError("method-not-allowed", "callback URLs take POST only", {}, { Allow: "POST" }),
    ),
  );
  return app;

  /** The report in the node's boot history; a failure is logged, the report stands. */
  async function recordReport(
    d: RouteDeps & { reportStore: AdminStore },
    node: string,
    from: BootRecord["state"],
    body: ReportBody,
    at: Date,
  ): Promise<void> {
    const days = d.config.admin.boot_history_days;
    if (days === 0) return;
    const record: BootRecord = {
      at: at.toISOString(),
      node,
      attempt: 0,
      outcome: `report-${body.status}`,
      url_mode: d.config.ipxe.use_swift ? "swift" : "artifacts",
      ...(from === undefined ? {} : { state: from }),
      ...(body.message === undefined ? {} : { message: body.message }),
    };
    try {
      await d.reportStore.recordBoot(record, days * 86_400);
    } catch (error) {
      logger.warn("report not recorded in boot history", {
        node,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
}

/**
 * The route group: served wherever the store can write nodes (the admin API's store), whether or
 * not the admin API itself is on, since reports need no admin token.
 */
export function callbackRouteGroup(deps: RouteDeps) {
  const store = deps.adminStore ?? (canWriteNodes(deps.store) ? deps.store : undefined);
  if (store === undefined) return undefined;
  const forget = (store as Partial<DiscoveryAware>).deleteDiscovered;
  return callbackRoutes({
    ...deps,
    reportStore: store,
    discovery: {
      store,
      ...(forget === undefined ? {} : { forget: (mac: string) => forget.call(store, mac) }),
    },
  });
}

interface DiscoveryAware {
  deleteDiscovered(mac: string): Promise<boolean>;
}

function canWriteNodes(store: RouteDeps["store"]): store is AdminStore {
  const s = store as Partial<AdminStore>;
  return [s.getNodeVersioned, s.writeNode, s.recordBoot].every((f) => typeof f === "function");
}
