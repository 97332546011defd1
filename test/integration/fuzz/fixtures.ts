// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { type Image, imageSchema, type Node, nodeSchema } from "../../../shared/model/index.ts";

/**
 * Records the fuzz tests boot: one node per kind of answer (boot, local, refuse, error), with
 * names that are valid records but hostile in a script.
 */
export const FUZZ_IMAGES: Image[] = [
  imageSchema.parse({
    id: "k",
    name: "kernel ${net0/ip} || shell",
    swift: { object: "ipa/deploy kernel;x" },
  }),
  imageSchema.parse({
    id: "r",
    name: "ramdisk # comment",
    swift: { object: "ipa/deploy.initramfs" },
  }),
  imageSchema.parse({
    id: "os:k",
    name: "os kernel",
    swift: { container: "os", object: "vmlinuz" },
  }),
  imageSchema.parse({
    id: "os:r",
    name: "os ramdisk",
    swift: { container: "os", object: "initrd.img" },
    sha256: "ab".repeat(32),
  }),
];

export const FUZZ_NODES: Node[] = [
  nodeSchema.parse({
    id: "deploying-1",
    name: "rack 1 ${x} && reboot",
    macs: ["52:54:00:12:34:56", "52:54:00:12:34:57"],
    uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
    state: "deploying",
    deploy: { kernel: "k", ramdisk: "r" },
    kernel_args: "console=ttyS0,115200n8 ipa-debug=1",
    arch_images: { arm64: { deploy: { kernel: "os:k", ramdisk: "os:r" } } },
  }),
  nodeSchema.parse({
    id: "active-net",
    name: "active netboot",
    macs: ["52:54:00:12:34:58"],
    state: "active",
    instance: { kernel: "os:k", ramdisk: "os:r", boot: "netboot" },
  }),
  nodeSchema.parse({
    id: "active-local",
    name: "active local",
    macs: ["52:54:00:12:34:59"],
    uuid: "4c4c4544-0042-3510-8052-b4c04f384d33",
    state: "active",
    instance: { boot: "local" },
  }),
  nodeSchema.parse({
    id: "manageable",
    name: "manageable; shell",
    macs: ["52:54:00:12:34:5a"],
    state: "manageable",
  }),
  nodeSchema.parse({
    id: "dangling",
    name: "dangling image",
    macs: ["52:54:00:12:34:5b"],
    state: "deploying",
    deploy: { kernel: "missing-kernel", ramdisk: "r" },
  }),
];

export const KNOWN_MACS = [
  ...FUZZ_NODES.flatMap((n) => n.macs),
  "52:54:00:99:99:99", // enrolled nowhere
];
