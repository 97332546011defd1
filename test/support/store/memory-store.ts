import {
  type Image,
  imageIdsOf,
  type Node,
  normalizeMac,
  normalizeUuid,
  PROVISION_STATES,
} from "../../../shared/model/index.ts";
import { type BootRecord, bootRecordSchema } from "../../../shared/store/boot-record.ts";
import { decodeCursor, encodeCursor, lastIdSchema } from "../../../shared/store/cursor.ts";
import {
  IdentityConflictError,
  ImageInUseError,
  InvalidCursorError,
  InvalidRecordError,
  UnknownImageError,
  VersionMismatchError,
} from "../../../shared/store/errors.ts";
import { withProvisionFields } from "../../../shared/store/provision-fields.ts";
import { imageForWrite, imageKey, nodeForWrite, nodeKey } from "../../../shared/store/records.ts";
import type {
  AdminStore,
  NodeQuery,
  NodeWriteOptions,
  Page,
  PageRequest,
  Versioned,
  WriteOptions,
  WriteResult,
} from "../../../shared/store/types.ts";
import * as z from "../../../shared/validation/zod.ts";

/**
 * An in-memory AdminStore with the DynamoDB store's semantics: records validated on write
 * (InvalidRecordError), MACs and UUIDs unique across nodes (IdentityConflictError naming the
 * holder), putNode all-or-nothing and idempotent, deleteNode releasing claims, versions and
 * If-Match (VersionMismatchError), images refused deletion while used. Values are copied in and
 * out, so callers cannot change stored records by mutating what they passed or got.
 */
export class MemoryStore implements AdminStore {
  readonly #nodes = new Map<string, Versioned<Node>>();
  readonly #images = new Map<string, Versioned<Image>>();
  readonly #macs = new Map<string, string>();
  readonly #uuids = new Map<string, string>();
  readonly #boots = new Map<string, { seq: number; record: BootRecord; expires: number }[]>();
  #bootSeq = 0;

  async findNodeByMac(mac: string): Promise<Node | undefined> {
    const canonical = normalizeMac(mac);
    const owner = canonical === undefined ? undefined : this.#macs.get(canonical);
    return owner === undefined ? undefined : this.#copy(this.#nodes.get(owner)?.record);
  }

  async findNodeByUuid(uuid: string): Promise<Node | undefined> {
    const canonical = normalizeUuid(uuid);
    const owner = canonical === undefined ? undefined : this.#uuids.get(canonical);
    return owner === undefined ? undefined : this.#copy(this.#nodes.get(owner)?.record);
  }

  async getImages(ids: readonly string[]): Promise<Map<string, Image>> {
    const found = new Map<string, Image>();
    for (const id of ids) {
      const image = this.#images.get(id);
      if (image !== undefined) found.set(id, structuredClone(image.record));
    }
    return found;
  }

  async putImage(image: Image, options?: WriteOptions): Promise<void> {
    await this.writeImage(image, options);
  }

  async writeImage(image: Image, options: WriteOptions = {}): Promise<WriteResult> {
    const valid = imageForWrite(image);
    const previous = this.#images.get(valid.id);
    check(imageKey(valid.id), options.expectedVersion, previous);
    return this.#storeImage(valid, previous);
  }

  async getImage(id: string): Promise<Image | undefined> {
    return this.#copy(this.#images.get(id)?.record);
  }

  async getImageVersioned(id: string): Promise<Versioned<Image> | undefined> {
    return this.#copy(this.#images.get(id));
  }

  async listImages(page: PageRequest): Promise<Page<Image>> {
    return paginate(
      [...this.#images.values()].map((v) => v.record),
      page,
      null,
    );
  }

  async deleteImage(id: string, options: WriteOptions = {}): Promise<boolean> {
    const previous = this.#images.get(id);
    if (previous === undefined) return false;
    check(imageKey(id), options.expectedVersion, previous);
    const users = [...this.#nodes.values()]
      .filter((n) => imageIdsOf(n.record).includes(id))
      .map((n) => n.record.id)
      .sort();
    if (users.length > 0) throw new ImageInUseError(id, users.slice(0, 50), users.length > 50);
    return this.#images.delete(id);
  }

  async putNode(node: Node, options?: NodeWriteOptions): Promise<void> {
    await this.writeNode(node, options);
  }

  async writeNode(node: Node, options: NodeWriteOptions = {}): Promise<WriteResult> {
    const valid = nodeForWrite(node);
    const previous = this.#nodes.get(valid.id);
    check(nodeKey(valid.id), options.expectedVersion, previous);
    if (options.requireImages) {
      const before = new Set(previous === undefined ? [] : imageIdsOf(previous.record));
      const missing = imageIdsOf(valid).filter((i) => !before.has(i) && !this.#images.has(i));
      if (missing.length > 0) throw new UnknownImageError(valid.id, missing);
    }
    return this.#storeNode(valid, previous);
  }

  async getNode(id: string): Promise<Node | undefined> {
    return this.#copy(this.#nodes.get(id)?.record);
  }

  async getNodeVersioned(id: string): Promise<Versioned<Node> | undefined> {
    return this.#copy(this.#nodes.get(id));
  }

  async listNodes(query: NodeQuery): Promise<Page<Node>> {
    const nodes = [...this.#nodes.values()]
      .map((v) => v.record)
      .filter((n) => query.state === undefined || n.state === query.state);
    return paginate(nodes, query, query.state ?? null);
  }

  async deleteNode(id: string, options: WriteOptions = {}): Promise<boolean> {
    const previous = this.#nodes.get(id);
    if (previous === undefined) return false;
    check(nodeKey(id), options.expectedVersion, previous);
    this.#release(previous.record);
    this.#nodes.delete(id);
    return true;
  }

  async recordBoot(record: BootRecord, retentionSeconds: number): Promise<void> {
    const parsed = bootRecordSchema.safeParse(record);
    if (!parsed.success)
      throw new InvalidRecordError(`${nodeKey(record.node)} BOOT`, parsed.error.message);
    const list = this.#boots.get(record.node) ?? [];
    const expires = Date.parse(parsed.data.at) / 1000 + retentionSeconds;
    list.unshift({ seq: ++this.#bootSeq, record: structuredClone(parsed.data), expires });
    this.#boots.set(record.node, list);
  }

  async listBoots(nodeId: string, page: PageRequest): Promise<Page<BootRecord>> {
    const before = page.cursor === undefined ? Infinity : decodeCursor(bootCursor, page.cursor).seq;
    const now = Date.now() / 1000;
    const live = (this.#boots.get(nodeId) ?? []).filter((b) => b.seq < before && b.expires >= now);
    const items = live.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((b) => structuredClone(b.record)),
      ...(live.length > page.limit && last !== undefined
        ? { cursor: encodeCursor({ seq: last.seq }) }
        : {}),
    };
  }

  /** For seeding fixtures synchronously. */
  putImageSync(image: Image): void {
    const valid = imageForWrite(image);
    this.#storeImage(valid, this.#images.get(valid.id));
  }

  /** For seeding fixtures synchronously. Checks every claim before changing anything. */
  putNodeSync(node: Node): void {
    const valid = nodeForWrite(node);
    this.#storeNode(valid, this.#nodes.get(valid.id));
  }

  #storeImage(image: Image, previous: Versioned<Image> | undefined): WriteResult {
    const version = (previous?.version ?? 0) + 1;
    this.#images.set(image.id, { record: structuredClone(image), version });
    return { version, created: previous === undefined };
  }

  #storeNode(input: Node, previous: Versioned<Node> | undefined): WriteResult {
    const node = withProvisionFields(input, previous?.record);
    for (const mac of node.macs) {
      const owner = this.#macs.get(mac);
      if (owner !== undefined && owner !== node.id)
        throw new IdentityConflictError("mac", mac, owner);
    }
    if (node.uuid !== undefined) {
      const owner = this.#uuids.get(node.uuid);
      if (owner !== undefined && owner !== node.id) {
        throw new IdentityConflictError("uuid", node.uuid, owner);
      }
    }
    if (previous !== undefined) this.#release(previous.record);
    for (const mac of node.macs) this.#macs.set(mac, node.id);
    if (node.uuid !== undefined) this.#uuids.set(node.uuid, node.id);
    const version = (previous?.version ?? 0) + 1;
    this.#nodes.set(node.id, { record: structuredClone(node), version });
    return { version, created: previous === undefined };
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

function check(
  key: string,
  expected: number | undefined,
  current: { version: number } | undefined,
): void {
  if (expected !== undefined && (current?.version ?? 0) !== expected) {
    throw new VersionMismatchError(key, expected, current?.version);
  }
}

const listCursor = z.strictObject({
  s: z.nullable(z.enum(PROVISION_STATES)),
  k: lastIdSchema,
});
const bootCursor = z.strictObject({ seq: z.int().check(z.minimum(0)) });

/** Records by id after the cursor's; `filter` (the state) is bound into the cursor. */
function paginate<T extends { id: string }>(
  records: T[],
  page: PageRequest,
  filter: string | null,
): Page<T> {
  let after: string | undefined;
  if (page.cursor !== undefined) {
    const cursor = decodeCursor(listCursor, page.cursor);
    if (cursor.s !== filter)
      throw new InvalidCursorError("cursor: belongs to a listing with other filters");
    after = cursor.k;
  }
  const sorted = records
    .filter((r) => after === undefined || r.id > after)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const items = sorted.slice(0, page.limit).map((r) => structuredClone(r));
  const last = items.at(-1);
  return sorted.length > page.limit && last !== undefined
    ? { items, cursor: encodeCursor({ s: filter, k: last.id }) }
    : { items };
}
