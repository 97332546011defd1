import type { Image, Node } from "../model/index.ts";

/**
 * What the boot path needs from storage: key lookups only (never a scan), so a script costs the
 * same with a hundred nodes or a million.
 */
export interface BootStore {
  /** `mac` is canonical (`52:54:00:ab:cd:ef`). */
  findNodeByMac(mac: string): Promise<Node | undefined>;
  /** `uuid` is canonical lower case. */
  findNodeByUuid(uuid: string): Promise<Node | undefined>;
  /** Images by id in one batched read; ids that do not exist are absent from the map. */
  getImages(ids: readonly string[]): Promise<Map<string, Image>>;
}

/** Writes and listings, used by `swiftboot import`, the demo data and (later) the admin API. */
export interface AdminStore extends BootStore {
  putImage(image: Image): Promise<void>;
  getImage(id: string): Promise<Image | undefined>;
  /** Creates or replaces a node, claiming its MACs and UUID atomically. */
  putNode(node: Node): Promise<void>;
  getNode(id: string): Promise<Node | undefined>;
  /** Deletes a node and releases its MAC and UUID claims atomically. */
  deleteNode(id: string): Promise<boolean>;
}
