import type { Image, Node } from "../shared/model/index.ts";
import type { BootRecord } from "../shared/store/boot-record.ts";
import type { BootStore } from "../shared/store/types.ts";

/**
 * A BootStore answering from memory without copying: the records handed out are the ones kept
 * (frozen, so a caller that mutated one would fail loudly). The load bench serves the app over it
 * to measure swiftboot's own cost per script; test/support's MemoryStore copies every record with
 * `structuredClone` (about 15 µs a script), a cost of the fake and not of the product.
 */
export class FrozenBootStore implements BootStore {
  readonly #byMac = new Map<string, Node>();
  readonly #byUuid = new Map<string, Node>();
  readonly #images = new Map<string, Image>();
  /** Boot records received (kept as a count: the bench runs for minutes). */
  recorded = 0;

  constructor(nodes: readonly Node[], images: readonly Image[]) {
    for (const node of nodes) {
      Object.freeze(node);
      for (const mac of node.macs) this.#byMac.set(mac, node);
      if (node.uuid !== undefined) this.#byUuid.set(node.uuid, node);
    }
    for (const image of images) this.#images.set(image.id, Object.freeze(image));
  }

  async findNodeByMac(mac: string): Promise<Node | undefined> {
    return this.#byMac.get(mac);
  }

  async findNodeByUuid(uuid: string): Promise<Node | undefined> {
    return this.#byUuid.get(uuid);
  }

  async getImages(ids: readonly string[]): Promise<Map<string, Image>> {
    const found = new Map<string, Image>();
    for (const id of ids) {
      const image = this.#images.get(id);
      if (image !== undefined) found.set(id, image);
    }
    return found;
  }

  async recordBoot(_record: BootRecord, _retentionSeconds: number): Promise<void> {
    this.recorded++;
  }

  async recordBoots(records: readonly BootRecord[], _retentionSeconds: number): Promise<void> {
    this.recorded += records.length;
  }
}
