import { macHexhyp } from "../boot/identity.ts";
import type { BootLogFields, NodeScriptInput } from "../boot/index.ts";
import type { BootPlan } from "../boot/plan.ts";
import { type RenderContext, renderBootScript } from "../boot/render.ts";
import { mintBootUrls } from "../boot/urls.ts";
import { callbackArg } from "../callback/kernel-arg.ts";
import type { Config } from "../config/index.ts";
import { UnsafeScriptValueError } from "../ipxe/index.ts";
import { enrolledNodeId } from "./enroll.ts";

/**
 * `ipxe.unknown_action = discover`: a machine no node matches boots the discovery kernel and
 * ramdisk, with `BOOTIF`, a callback URL bound to its MAC and UUID, and `discovery.kernel_args`.
 * The ramdisk reports `done` with an inventory and the machine becomes a node in `enroll`
 * (shared/http/routes/discovery-report.ts). Same script as any boot: fresh URLs, retries.
 */
export type DiscoveryScript =
  | { ok: true; script: string; expiresAt: number; kernel: string; ramdisk: string }
  | { ok: false; reason: string };

/** The ids of the discovery images, for the boot route's one batched read. */
export function discoveryImageIds(config: Config): string[] {
  const { kernel, ramdisk } = config.discovery;
  return kernel === undefined || ramdisk === undefined ? [] : [kernel, ramdisk];
}

export function buildDiscoveryScript(input: NodeScriptInput, ctx: RenderContext): DiscoveryScript {
  const { config, request } = input;
  const mac = request.mac;
  if (mac === undefined) {
    return { ok: false, reason: "discovery needs the booting NIC's MAC in the request path" };
  }
  const [kernelId, ramdiskId] = discoveryImageIds(config);
  const kernel = kernelId === undefined ? undefined : input.images.get(kernelId);
  const ramdisk = ramdiskId === undefined ? undefined : input.images.get(ramdiskId);
  if (kernel === undefined || ramdisk === undefined) {
    const missing = kernel === undefined ? `kernel ${kernelId}` : `ramdisk ${ramdiskId}`;
    return { ok: false, reason: `discovery ${missing} (discovery.*) does not exist` };
  }
  const callback = callbackArg(
    config,
    { kind: "discovery", mac, uuid: request.uuid },
    input.now,
    input.baseUrl,
  );
  if (callback === undefined) {
    return { ok: false, reason: "discovery needs artifacts.signing_key for its callback URL" };
  }
  const id = enrolledNodeId(mac, request.uuid);
  const plan: Extract<BootPlan, { kind: "boot" }> = {
    kind: "boot",
    purpose: "discovery",
    // Not a stored node: what the console and the script's messages call the machine.
    node: { id, name: `unknown machine ${mac}`, macs: [mac], state: "enroll" },
    kernel,
    ramdisk,
    kernelArgs: [
      `BOOTIF=01-${macHexhyp(mac)}`,
      callback,
      ...(config.discovery.kernel_args?.split(" ") ?? []),
    ],
    source: "discovery",
  };
  const urls = mintBootUrls(kernel, ramdisk, {
    settings: ctx.settings,
    now: input.now,
    baseUrl: input.baseUrl,
    clientIp: input.clientIp,
  });
  if (!urls.ok) return { ok: false, reason: urls.reason };
  try {
    const script = renderBootScript(plan, urls, ctx);
    return { ok: true, script, expiresAt: urls.expiresAt, kernel: kernel.id, ramdisk: ramdisk.id };
  } catch (error) {
    if (!(error instanceof UnsafeScriptValueError)) throw error;
    return { ok: false, reason: error.message };
  }
}

/** Log fields of a discovery boot: an unknown machine, booting. */
export function discoveryLogFields(
  fields: BootLogFields,
  script: Extract<DiscoveryScript, { ok: true }>,
): BootLogFields {
  return {
    ...fields,
    purpose: "discovery",
    kernel: script.kernel,
    ramdisk: script.ramdisk,
    expires_at: script.expiresAt,
  };
}
