import type { Node } from "../model/index.ts";

/** An image a node refers to, with the field that names it (`arch_images.arm64.deploy.kernel`). */
export interface ImageRef {
  path: string;
  id: string;
}

type Pair = { kernel?: string; ramdisk?: string } | undefined;

export function imageRefsOf(node: Node): ImageRef[] {
  const refs: ImageRef[] = [];
  const add = (path: string, pair: Pair) => {
    if (pair?.kernel !== undefined) refs.push({ path: `${path}.kernel`, id: pair.kernel });
    if (pair?.ramdisk !== undefined) refs.push({ path: `${path}.ramdisk`, id: pair.ramdisk });
  };
  add("deploy", node.deploy);
  add("rescue", node.rescue);
  add("instance", node.instance);
  for (const [arch, images] of Object.entries(node.arch_images ?? {})) {
    add(`arch_images.${arch}.deploy`, images?.deploy);
    add(`arch_images.${arch}.rescue`, images?.rescue);
    add(`arch_images.${arch}.instance`, images?.instance);
  }
  return refs;
}
