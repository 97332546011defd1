import { ScriptToken } from "../ipxe/index.ts";
import type { Image, Node, ProvisionState } from "../model/index.ts";
import { type BootIdentity, describeIdentity, macHexhyp } from "./identity.ts";

/**
 * What a machine should do, decided from its node record, the node's images and who is asking.
 * Pure: no URLs, no clock, no configuration; those come in when the plan is rendered.
 */
export type BootPurpose = "deploy" | "rescue" | "instance" | "discovery";

/** A kernel argument: a literal token, or one the generator expands on purpose in iPXE. */
export type KernelArg = string | ScriptToken;

export type BootPlan =
  | {
      kind: "boot";
      purpose: BootPurpose;
      node: Node;
      kernel: Image;
      ramdisk: Image;
      /** swiftboot's own arguments first, then the node's `kernel_args`, split on spaces. */
      kernelArgs: readonly KernelArg[];
      /** Where the image pair came from, e.g. `deploy` or `arch_images.arm64.deploy`. */
      source: string;
    }
  /** Active with local boot: leave iPXE so the firmware boots the disk. */
  | { kind: "local"; node: Node; reason: string }
  /** The node's state does not network boot. */
  | { kind: "refuse"; node: Node; reason: string }
  /** No node has this MAC or UUID. */
  | { kind: "unknown"; reason: string }
  /** The node should boot but cannot (missing images, unusable values, configuration). */
  | { kind: "error"; node?: Node; reason: string };

export interface PlanInput {
  node: Node | undefined;
  /** The node's images by id, as the store's batched read returns them. */
  images: ReadonlyMap<string, Image>;
  request: BootIdentity;
}

const PURPOSE_BY_STATE: Partial<Record<ProvisionState, "deploy" | "rescue" | "active">> = {
  deploying: "deploy",
  cleaning: "deploy",
  inspecting: "deploy",
  rescuing: "rescue",
  rescue: "rescue",
  active: "active",
};

/** The node's name for messages: `node-7 (rack 1 slot 7)`. */
export function nodeLabel(node: Node): string {
  return node.name === node.id ? node.id : `${node.id} (${node.name})`;
}

export function planBoot({ node, images, request }: PlanInput): BootPlan {
  if (node === undefined) {
    return { kind: "unknown", reason: `no node is enrolled with ${describeIdentity(request)}` };
  }
  const purpose = PURPOSE_BY_STATE[node.state];
  if (purpose === undefined) {
    return {
      kind: "refuse",
      node,
      reason: `node ${nodeLabel(node)} is in provision state ${node.state}, which does not boot from the network`,
    };
  }
  const archEntry = request.arch === undefined ? undefined : node.arch_images?.[request.arch];
  const archPath = `arch_images.${request.arch}`;

  if (purpose === "active") {
    const bootOption = node.instance?.boot ?? archEntry?.instance?.boot;
    if (bootOption !== "netboot") {
      return {
        kind: "local",
        node,
        reason: `node ${nodeLabel(node)} is active and boots from its local disk`,
      };
    }
    const archInstance = archEntry?.instance;
    // An arch entry replaces the pair as a whole: half an arm64 pair and half an x86 one boots nothing.
    const useArch = archInstance?.kernel !== undefined || archInstance?.ramdisk !== undefined;
    const pair = useArch ? archInstance : node.instance;
    return resolvePair(
      node,
      images,
      request,
      "instance",
      pair,
      useArch ? `${archPath}.instance` : "instance",
    );
  }

  const archPair = archEntry?.[purpose];
  const pair = archPair ?? node[purpose];
  return resolvePair(
    node,
    images,
    request,
    purpose,
    pair,
    archPair ? `${archPath}.${purpose}` : purpose,
  );
}

function resolvePair(
  node: Node,
  images: ReadonlyMap<string, Image>,
  request: BootIdentity,
  purpose: BootPurpose,
  pair: { kernel?: string; ramdisk?: string } | undefined,
  source: string,
): BootPlan {
  const label = nodeLabel(node);
  if (pair === undefined) {
    return {
      kind: "error",
      node,
      reason: `node ${label} is ${node.state} but has no ${purpose} kernel and ramdisk (set ${purpose}${
        request.arch ? ` or arch_images.${request.arch}.${purpose}` : ""
      })`,
    };
  }
  const kernel = findImage(images, pair.kernel);
  const ramdisk = findImage(images, pair.ramdisk);
  if (kernel === undefined || ramdisk === undefined) {
    const role = kernel === undefined ? "kernel" : "ramdisk";
    const id = kernel === undefined ? pair.kernel : pair.ramdisk;
    return {
      kind: "error",
      node,
      reason:
        id === undefined
          ? `node ${label} has no ${purpose} ${role} (${source}.${role} is not set)`
          : `${purpose} ${role} image ${id} (${source}.${role} of node ${label}) does not exist`,
    };
  }
  return {
    kind: "boot",
    purpose,
    node,
    kernel,
    ramdisk,
    kernelArgs: kernelArgsFor(purpose, node, request),
    source,
  };
}

function findImage(images: ReadonlyMap<string, Image>, id: string | undefined): Image | undefined {
  return id === undefined ? undefined : images.get(id);
}

const BOOTIF_EXPANSION = ScriptToken.join(["BOOTIF=01-", ScriptToken.expansion("mac:hexhyp")]);

/**
 * swiftboot adds one argument of its own, for the deploy and rescue ramdisks only: `BOOTIF`, which
 * tells the agent in those ramdisks (Ironic Python Agent and similar) which NIC booted, as pxelinux
 * does. Its value is the MAC from the request path, which is the booting NIC's `${mac:hexhyp}`;
 * only when that path held no valid MAC (the node was found by UUID) does the script let iPXE
 * expand `${mac:hexhyp}` itself. Instances get nothing but their own `kernel_args`.
 * (`initrd=<name>` is added when rendering: it belongs to the script, not to the plan.)
 */
function kernelArgsFor(purpose: BootPurpose, node: Node, request: BootIdentity): KernelArg[] {
  const args: KernelArg[] = [];
  if (purpose !== "instance") {
    args.push(request.mac === undefined ? BOOTIF_EXPANSION : `BOOTIF=01-${macHexhyp(request.mac)}`);
  }
  if (node.kernel_args !== undefined) {
    // Split on single spaces only, as the schema's check does: a tab stays inside its token and
    // is refused when the script is rendered.
    for (const arg of node.kernel_args.split(" ")) if (arg !== "") args.push(arg);
  }
  return args;
}
