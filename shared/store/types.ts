import type { Image, Node, ProvisionState } from "../model/index.ts";
import type { BootRecord } from "./boot-record.ts";

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
  /**
   * Appends to the node's boot history, kept `retentionSeconds` (DynamoDB TTL). Optional: a
   * store without it keeps no history. Called after the answer is decided, never awaited by it.
   */
  recordBoot?(record: BootRecord, retentionSeconds: number): Promise<void>;
  /**
   * recordBoot for many records in as few calls as the store allows (BatchWriteItem); what the
   * boot path's history queue uses when present. Best effort: throws once, never retries forever.
   */
  recordBoots?(records: readonly BootRecord[], retentionSeconds: number): Promise<void>;
}

/** A record with the version its ETag is made from. */
export interface Versioned<T> {
  record: T;
  /** Grows by one on every write; 0 for items written by other tools without a version. */
  version: number;
}

export interface WriteOptions {
  /**
   * Write only if the stored version is this one (HTTP If-Match), else VersionMismatchError.
   * 0 matches a record that does not exist (or has no version). Unset: last writer wins.
   */
  expectedVersion?: number;
}

export interface NodeWriteOptions extends WriteOptions {
  /**
   * Fail with UnknownImageError, atomically, when an image the node starts referring to does not
   * exist (the admin API). Unset: such references are stored as given (import checks first).
   */
  requireImages?: boolean;
}

export interface WriteResult {
  /** The version now stored. */
  version: number;
  created: boolean;
}

export interface PageRequest {
  /** At most this many items (1-1000). */
  limit: number;
  /** From the previous page's `cursor`; opaque. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Undefined on the last page. A page may be short, or even empty, and still have one. */
  cursor?: string;
}

export interface NodeQuery extends PageRequest {
  state?: ProvisionState;
}

/** Writes and listings, used by `swiftboot import`, the demo data and the admin API. */
export interface AdminStore extends BootStore {
  putImage(image: Image, options?: WriteOptions): Promise<void>;
  /** putImage, telling which version it wrote (for ETags). */
  writeImage(image: Image, options?: WriteOptions): Promise<WriteResult>;
  getImage(id: string): Promise<Image | undefined>;
  getImageVersioned(id: string): Promise<Versioned<Image> | undefined>;
  /** Images by id. */
  listImages(page: PageRequest): Promise<Page<Image>>;
  /** Refused with ImageInUseError while any node refers to it. False when it did not exist. */
  deleteImage(id: string, options?: WriteOptions): Promise<boolean>;
  /** Creates or replaces a node, claiming its MACs and UUID atomically. */
  putNode(node: Node, options?: NodeWriteOptions): Promise<void>;
  /** putNode, telling which version it wrote (for ETags). */
  writeNode(node: Node, options?: NodeWriteOptions): Promise<WriteResult>;
  getNode(id: string): Promise<Node | undefined>;
  getNodeVersioned(id: string): Promise<Versioned<Node> | undefined>;
  /** Nodes, optionally in one state; eventually consistent. */
  listNodes(query: NodeQuery): Promise<Page<Node>>;
  /** Deletes a node and releases its MAC and UUID claims atomically. */
  deleteNode(id: string, options?: WriteOptions): Promise<boolean>;
  recordBoot(record: BootRecord, retentionSeconds: number): Promise<void>;
  /** The node's boot history, newest first. */
  listBoots(nodeId: string, page: PageRequest): Promise<Page<BootRecord>>;
}
