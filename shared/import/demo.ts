import type { ImageInput, NodeInput } from "../model/index.ts";
import type { ImportDocument } from "./document.ts";

/**
 * The demo data `npm start` imports on first start: one node booting the deploy ramdisk, with
 * rescue and instance images defined so every state can be tried.
 *
 * The origins name the local server's default address (`server.port` 8080), where `npm start`
 * serves small generated demo artifacts under `/demo/`; its cache fills answer these origins
 * in-process, so they work on any port (functions/local/demo-artifacts.ts). For real images,
 * import a file with your own origins or Swift objects.
 */
export const DEMO_ORIGIN = "http://127.0.0.1:8080/demo";
export const DEMO_CONTAINER = "swiftboot-demo";
export const DEMO_NODE_MAC = "52:54:00:12:34:56";

function image(id: string, name: string, object: string): ImageInput {
  return {
    id,
    name,
    swift: { container: DEMO_CONTAINER, object },
    origin: `${DEMO_ORIGIN}/${object}`,
  };
}

const images: ImageInput[] = [
  image("demo-deploy-kernel", "Demo deploy kernel", "deploy/vmlinuz"),
  image("demo-deploy-ramdisk", "Demo deploy ramdisk", "deploy/initramfs"),
  image("demo-rescue-kernel", "Demo rescue kernel", "rescue/vmlinuz"),
  image("demo-rescue-ramdisk", "Demo rescue ramdisk", "rescue/initramfs"),
  image("demo-instance-kernel", "Demo instance kernel", "instance/vmlinuz"),
  image("demo-instance-ramdisk", "Demo instance ramdisk", "instance/initramfs"),
];

const nodes: NodeInput[] = [
  {
    id: "demo-node",
    name: "demo-node",
    macs: [DEMO_NODE_MAC],
    state: "deploying",
    deploy: { kernel: "demo-deploy-kernel", ramdisk: "demo-deploy-ramdisk" },
    rescue: { kernel: "demo-rescue-kernel", ramdisk: "demo-rescue-ramdisk" },
    instance: { kernel: "demo-instance-kernel", ramdisk: "demo-instance-ramdisk", boot: "netboot" },
    kernel_args: "console=ttyS0,115200 console=tty0",
  },
];

export const demoDocument: ImportDocument & { images: ImageInput[]; nodes: NodeInput[] } = {
  images,
  nodes,
};
