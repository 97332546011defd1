import { withNodeCallback } from "../callback/kernel-arg.ts";
import type { Config } from "../config/index.ts";
import { buildDiscoveryScript, discoveryLogFields } from "../discovery/script.ts";
import { UnsafeScriptValueError } from "../ipxe/index.ts";
import type { Image, Node } from "../model/index.ts";
import type { BootIdentity } from "./identity.ts";
import { type BootPlan, planBoot } from "./plan.ts";
import { renderBootScript, renderNoBootScript } from "./render.ts";
import { bootSettings } from "./settings.ts";
import { mintBootUrls } from "./urls.ts";

export interface NodeScriptInput {
  /** The node found by MAC, then by UUID; undefined if neither matched. */
  node: Node | undefined;
  /** The node's images by id (`BootStore.getImages(imageIdsOf(node))`). */
  images: ReadonlyMap<string, Image>;
  request: BootIdentity;
  config: Config;
  /** Unix time in seconds. */
  now: number;
  /** From baseUrlFromRequest. */
  baseUrl: string;
  /** The requesting machine's address (for `swift.temp_url_bind_ip`). */
  clientIp?: string;
}

export interface NodeScriptResult {
  /** Always a valid script starting with `#!ipxe`, whatever the inputs. */
  script: string;
  /** What the script does; an `error` plan if the planned boot could not be rendered. */
  plan: BootPlan;
  /** When the script's download URLs expire (Unix seconds), for boot plans. */
  expiresAt?: number;
  /** For the request log: no URLs, signatures or secrets. */
  logFields: BootLogFields;
}

export interface BootLogFields {
  outcome: BootPlan["kind"];
  purpose?: string;
  node?: string;
  state?: string;
  mac?: string;
  uuid?: string;
  arch?: string;
  platform?: string;
  attempt: number;
  kernel?: string;
  ramdisk?: string;
  source?: string;
  url_mode: "swift" | "artifacts";
  expires_at?: number;
  reason?: string;
  request_problems?: string;
}

/** Year 5138: anything larger is a timestamp in milliseconds. */
const MAX_UNIX_SECONDS = 1e11;

/** `GET /boot/{mac}.ipxe`: the one call the HTTP layer makes. Pure apart from HMAC. */
export function buildNodeScript(input: NodeScriptInput): NodeScriptResult {
  // Milliseconds here would mint URLs valid for millennia (or refused as malformed): a caller bug.
  if (!Number.isFinite(input.now) || input.now < 0 || input.now > MAX_UNIX_SECONDS) {
    throw new RangeError(`now must be Unix time in seconds, got ${input.now}`);
  }
  const settings = bootSettings(input.config);
  const ctx = { settings, identity: input.request, baseUrl: input.baseUrl };
  let plan = planBoot(input);
  if (plan.kind === "boot") plan = withNodeCallback(plan, input.config, input.now, input.baseUrl);
  let script: string | undefined;
  let expiresAt: number | undefined;

  if (plan.kind === "boot") {
    const urls = mintBootUrls(plan.kernel, plan.ramdisk, {
      settings,
      now: input.now,
      baseUrl: input.baseUrl,
      clientIp: input.clientIp,
    });
    if (!urls.ok) {
      plan = { kind: "error", node: plan.node, reason: urls.reason };
    } else {
      try {
        script = renderBootScript(plan, urls, ctx);
        expiresAt = urls.expiresAt;
      } catch (error) {
        if (!(error instanceof UnsafeScriptValueError)) throw error;
        plan = { kind: "error", node: plan.node, reason: error.message };
      }
    }
  }
  if (plan.kind === "unknown" && input.config.ipxe.unknown_action === "discover") {
    const discovery = buildDiscoveryScript(input, ctx);
    if (discovery.ok) {
      const fields = logFieldsOf(plan, input.request, settings.urls.mode, undefined);
      return {
        script: discovery.script,
        plan,
        expiresAt: discovery.expiresAt,
        logFields: discoveryLogFields(fields, discovery),
      };
    }
    plan = { kind: "unknown", reason: `${plan.reason}; no discovery boot: ${discovery.reason}` };
  }
  if (plan.kind !== "boot") script = renderNoBootScript(plan, ctx);

  return {
    script: script as string,
    plan,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    logFields: logFieldsOf(plan, input.request, settings.urls.mode, expiresAt),
  };
}

function logFieldsOf(
  plan: BootPlan,
  request: BootIdentity,
  urlMode: "swift" | "artifacts",
  expiresAt: number | undefined,
): BootLogFields {
  const fields: BootLogFields = { outcome: plan.kind, attempt: request.attempt, url_mode: urlMode };
  if (request.mac !== undefined) fields.mac = request.mac;
  if (request.uuid !== undefined) fields.uuid = request.uuid;
  if (request.arch !== undefined) fields.arch = request.arch;
  if (request.platform !== undefined) fields.platform = request.platform;
  if (request.problems.length > 0) {
    fields.request_problems = request.problems.map((p) => `${p.field} ${p.message}`).join("; ");
  }
  if (plan.kind !== "unknown" && plan.node !== undefined) {
    fields.node = plan.node.id;
    fields.state = plan.node.state;
  }
  if (plan.kind === "boot") {
    fields.purpose = plan.purpose;
    fields.kernel = plan.kernel.id;
    fields.ramdisk = plan.ramdisk.id;
    fields.source = plan.source;
    if (expiresAt !== undefined) fields.expires_at = expiresAt;
  } else {
    fields.reason = plan.reason;
  }
  return fields;
}
