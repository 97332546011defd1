import {
  IpxeScript,
  type ScriptArg,
  type ScriptCommand,
  ScriptFragment,
  ScriptToken,
} from "../ipxe/index.ts";
import { type BootIdentity, macHexhyp } from "./identity.ts";
import { imageUrlToken } from "./image-parts.ts";
import { type BootPlan, nodeLabel } from "./plan.ts";
import type { BootSettings } from "./settings.ts";

/**
 * Plans to script text. The boot script is the only one built from values that can fail the
 * checks (URLs, kernel arguments, the base URL); it throws UnsafeScriptValueError before emitting
 * any of them, and the caller renders an error script instead. Every other script is made of
 * constants and echo text, which cannot fail.
 */
export interface RenderContext {
  settings: BootSettings;
  identity: BootIdentity;
  /** swiftboot's base URL, for the retry's re-chain. */
  baseUrl: string;
}

export interface BootUrls {
  kernel: string;
  ramdisk: string;
}

/** Names given to the images, so EFI-stub kernels find the ramdisk through `initrd=<name>`. */
export const KERNEL_NAME = "kernel";
export const RAMDISK_NAME = "ramdisk";

const PURPOSE_TEXT = {
  deploy: "deploy",
  rescue: "rescue",
  instance: "instance",
  discovery: "discovery",
} as const;

type BootPlanOf<K extends BootPlan["kind"]> = Extract<BootPlan, { kind: K }>;

export function renderBootScript(
  plan: BootPlanOf<"boot">,
  urls: BootUrls,
  ctx: RenderContext,
): string {
  const { settings, identity } = ctx;
  const kernelUrl = imageUrlToken(plan.kernel, urls.kernel, `kernel URL (image ${plan.kernel.id})`);
  const ramdiskUrl = imageUrlToken(
    plan.ramdisk,
    urls.ramdisk,
    `ramdisk URL (image ${plan.ramdisk.id})`,
  );
  const kernelArgs = checkedKernelArgs(plan.kernelArgs);
  // The retry count lives in the re-chain URL, so the server decides when retrying stops.
  // An `attempt` beyond the retries (a hand-made or stale URL) is the last attempt, not "7 of 4".
  const attempt = Math.min(identity.attempt, settings.retries);
  const canRetry = attempt < settings.retries;
  const chainUrl = canRetry ? retryChainUrl(ctx) : undefined;
  const fixed = fixedParts(settings);
  const onFailure = canRetry ? fixed.orRetry : fixed.orFail;
  const label = nodeLabel(plan.node);
  const attempts = settings.retries + 1;

  const script = new IpxeScript()
    .echo(
      `swiftboot: ${PURPOSE_TEXT[plan.purpose]} boot of node ${label}: kernel ${plan.kernel.name}, ` +
        `ramdisk ${plan.ramdisk.name} (attempt ${attempt + 1} of ${attempts})`,
    )
    .append(fixed.imgfree)
    .line(["kernel", ...fixed.kernelOptions, kernelUrl, fixed.initrdArg, ...kernelArgs], onFailure)
    .line(["initrd", ...fixed.ramdiskOptions, ramdiskUrl], onFailure)
    .line(["boot"], onFailure);
  if (chainUrl !== undefined) {
    script
      .append(fixed.retryHead(attempt))
      .line(["chain", ...fixed.chainOptions, chainUrl], fixed.orFail);
  }
  return script
    .append(fixed.failLabel)
    .echo(`swiftboot: could not boot node ${label}`)
    .append(fixed.failTail)
    .toString();
}

/**
 * The parts of a boot script that depend only on the settings, checked once per settings object
 * (one per configuration) instead of once per script: the options' tokens, the fixed lines, the
 * retry block's lines for each attempt, and the fail action.
 */
interface FixedParts {
  kernelOptions: readonly ScriptToken[];
  ramdiskOptions: readonly ScriptToken[];
  chainOptions: readonly ScriptToken[];
  initrdArg: ScriptToken;
  orRetry: ScriptCommand;
  orFail: ScriptCommand;
  imgfree: ScriptFragment;
  /** `:retry`, its message for the attempt that failed, and the `sleep`. */
  retryHead(attempt: number): ScriptFragment;
  failLabel: ScriptFragment;
  failTail: ScriptFragment;
}

const fixedPartsBySettings = new WeakMap<BootSettings, FixedParts>();

function fixedParts(settings: BootSettings): FixedParts {
  let parts = fixedPartsBySettings.get(settings);
  if (parts === undefined) {
    parts = computeFixedParts(settings);
    fixedPartsBySettings.set(settings, parts);
  }
  return parts;
}

function computeFixedParts(settings: BootSettings): FixedParts {
  const token = (value: string) => ScriptToken.literal(value, "boot script option");
  const timeout = settings.timeoutOptions.map(token);
  const attempts = settings.retries + 1;
  const retryHeads = new Map<number, ScriptFragment>();
  return {
    kernelOptions: [token("--name"), token(KERNEL_NAME), ...timeout],
    ramdiskOptions: [token("--name"), token(RAMDISK_NAME), ...timeout],
    chainOptions: [token("--autofree"), token("--replace"), ...timeout],
    initrdArg: token(`initrd=${RAMDISK_NAME}`),
    orRetry: ["goto", token("retry")],
    orFail: ["goto", token("fail")],
    imgfree: ScriptFragment.of((s) => s.line(["imgfree"])),
    retryHead(attempt) {
      let head = retryHeads.get(attempt);
      if (head === undefined) {
        head = ScriptFragment.of((s) =>
          s
            .label("retry")
            .echo(
              `swiftboot: download or boot failed, fetching fresh URLs in ${settings.retryDelay} s ` +
                `(attempt ${attempt + 2} of ${attempts})`,
            )
            .line(["sleep", settings.retryDelay]),
        );
        // Attempts are bounded by settings.retries (the caller clamps them).
        retryHeads.set(attempt, head);
      }
      return head;
    },
    failLabel: ScriptFragment.of((s) => s.label("fail")),
    failTail: ScriptFragment.of((s) => failWith(s, settings)),
  };
}

/** Scripts that boot nothing; never throws, whatever the plan's text holds. */
export function renderNoBootScript(
  plan: Exclude<BootPlan, { kind: "boot" }>,
  ctx: RenderContext,
): string {
  const script = new IpxeScript();
  switch (plan.kind) {
    case "local":
      // Not the fail action: leaving iPXE is how a machine gets to its disk.
      return script.echo(`swiftboot: ${plan.reason}`).line(["exit"]).toString();
    case "refuse":
      script.echo(`swiftboot: ${plan.reason}`);
      break;
    case "unknown":
      script.echo(`swiftboot: unknown machine: ${plan.reason}`);
      for (const p of ctx.identity.problems)
        script.echo(`swiftboot: ignored ${p.field} ${p.value}: ${p.message}`);
      break;
    case "error":
      script.echo(
        `swiftboot: cannot boot${plan.node ? ` node ${nodeLabel(plan.node)}` : ""}: ${plan.reason}`,
      );
      break;
  }
  return failWith(script, ctx.settings).toString();
}

function failWith(script: IpxeScript, settings: BootSettings): IpxeScript {
  return script.echo(settings.failMessage).line([settings.failAction]);
}

/** Each argument checked once, as a token, so a failure names which one. */
function checkedKernelArgs(args: readonly (string | ScriptToken)[]): ScriptToken[] {
  const tokens: ScriptToken[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string | ScriptToken;
    tokens.push(
      typeof arg === "string" ? ScriptToken.literal(arg, `kernel argument ${i + 1}`) : arg,
    );
  }
  return tokens;
}

/**
 * `<base>/boot/<mac>.ipxe?uuid=&arch=&platform=&attempt=<n+1>`, from validated values only. When
 * the request path held no valid MAC, iPXE fills in `${mac:hexhyp}` as the first stage does.
 */
function retryChainUrl(ctx: RenderContext): ScriptArg {
  const { identity, baseUrl } = ctx;
  let query = "";
  if (identity.uuid !== undefined) query += `uuid=${identity.uuid}&`;
  if (identity.arch !== undefined) query += `arch=${identity.arch}&`;
  if (identity.platform !== undefined) query += `platform=${identity.platform}&`;
  query += `attempt=${identity.attempt + 1}`;
  if (identity.mac !== undefined) {
    return ScriptToken.url(
      `${baseUrl}/boot/${macHexhyp(identity.mac)}.ipxe?${query}`,
      "boot script URL",
    );
  }
  ScriptToken.url(`${baseUrl}/boot/x.ipxe`, "boot script URL");
  return ScriptToken.join(
    [`${baseUrl}/boot/`, ScriptToken.expansion("mac:hexhyp"), `.ipxe?${query}`],
    "boot script URL",
  );
}
