import { type Image, type Node, normalizeMac, normalizeUuid } from "../../model/index.ts";
import { IdentityConflictError } from "../errors.ts";
import { imageForWrite, nodeForWrite } from "../records.ts";
import type { AdminStore } from "../types.ts";

/**
 * An in-memory AdminStore with the DynamoDB store's semantics: records validated on write
 * (InvalidRecordError), MACs and UUIDs unique across nodes (IdentityConflictError naming the
 * holder), putNode all-or-nothing and idempotent, deleteNode releasing claims. Values are copied
 * in and out, so callers cannot change stored records by mutating what they passed or got.
 */
export class MemoryStore implements AdminStore {
  readonly #nodes = new Map<string, Node>();
  readonly #images = new Map<string, Image>();
  readonly #macs = new Map<string, string>();
  readonly #uuids = new Map<string, string>();

  async findNodeByMac(mac: string): Promise<Node | undefined> {
    const canonical = normalizeMac(mac);
    const owner = canonical === undefined ? undefined : this.#macs.get(canonical);
    return owner === undefined ? undefined : this.#copy(this.#nodes.get(owner));
  }

  async findNodeByUuid(uuid: string): Promise<Node | undefined> {
    const canonical = normalizeUuid(uuid);
    const owner = canonical === undefined ? undefined : this.#uuids.get(canonical);
    return owner === undefined ? undefined : this.#copy(this.#nodes.get(owner));
  }

  async getImages(ids: readonly string[]): Promise<Map<string, Image>> {
    const found = new Map<string, Image>();
    for (const id of ids) {
      const image = this.#images.get(id);
      if (image !== undefined) found.set(id, structuredClone(image));
    }
    return found;
  }

  async putImage(image: Image): Promise<void> {
    this.putImageSync(image);
  }

  async getImage(id: string): Promise<Image | undefined> {
    return this.#copy(this.#images.get(id));
  }

  async putNode(node: Node): Promise<void> {
    this.putNodeSync(node);
  }

  async getNode(id: string): Promise<Node | undefined> {
    return this.#copy(this.#nodes.get(id));
  }

  async deleteNode(id: string): Promise<boolean> {
    const previous = this.#nodes.get(id);
    if (previous === undefined) return false;
    this.#release(previous);
    this.#nodes.delete(id);
    return true;
  }

  /** For seeding fixtures synchronously. */
  putImageSync(image: Image): void {
    const valid = imageForWrite(image);
    this.#images.set(valid.id, structuredClone(valid));
  }

  /** For seeding fixtures synchronously. Checks every claim before changing anything. */
  putNodeSync(node: Node): void {
    const valid = nodeForWrite(node);
    for (const mac of valid.macs) {
      const owner = this.#macs.get(mac);
      if (owner !== undefined && owner !== valid.id)
        throw new IdentityConflictError("mac", mac, owner);
    }
    if (valid.uuid !== undefined) {
      const owner = this.#uuids.get(valid.uuid);
      if (owner !== undefined && owner !== valid.id) {
        throw new IdentityConflictError("uuid", valid.uuid, owner);
      }
    }
    const previous = this.#nodes.get(valid.id);
    if (previous !== undefined) this.#release(previous);
    for (const mac of valid.macs) this.#macs.set(mac, valid.id);
    if (valid.uuid !== undefined) this.#uuids.set(valid.uuid, valid.id);
    this.#nodes.set(valid.id, structuredClone(valid));
  }

  #release(node: Node): void {
    for (const mac of node.macs) {
      if (this.#macs.get(mac) === node.id) this.#macs.delete(mac);
    }
    if (node.uuid !== undefined && this.#uuids.get(node.uuid) === node.id) {
      this.#uuids.delete(node.uuid);
    }
  }

  #copy<T>(value: T | undefined): T | undefined {
    return value === undefined ? undefined : structuredClone(value);
  }
}
