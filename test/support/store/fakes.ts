import {
  type Image,
  type ImageInput,
  imageSchema,
  type Node,
  type NodeInput,
  nodeSchema,
} from "../../../shared/model/index.ts";
import { StoreUnavailableError } from "../../../shared/store/errors.ts";
import type { AdminStore } from "../../../shared/store/types.ts";
import { MemoryStore } from "./memory-store.ts";

/**
 * Store fakes for unit tests of code above the store (matchbox's testfakes): an empty store, one
 * holding fixed records, and one that is always down.
 */

export function emptyStore(): MemoryStore {
  return new MemoryStore();
}

/** A store holding these records (inputs in any accepted form: MACs with dashes, ...). */
export function fixedStore(
  nodes: readonly (Node | NodeInput)[] = [],
  images: readonly (Image | ImageInput)[] = [],
): MemoryStore {
  const store = new MemoryStore();
  for (const image of images) store.putImageSync(imageSchema.parse(image));
  for (const node of nodes) store.putNodeSync(nodeSchema.parse(node));
  return store;
}

/** Every call fails as an unreachable DynamoDB would: the HTTP edge should answer 503. */
export function brokenStore(message = "store unavailable (brokenStore fake)"): AdminStore {
  const fail = async (): Promise<never> => {
    throw new StoreUnavailableError(message);
  };
  return {
    findNodeByMac: fail,
    findNodeByUuid: fail,
    getImages: fail,
    putImage: fail,
    writeImage: fail,
    getImage: fail,
    getImageVersioned: fail,
    listImages: fail,
    deleteImage: fail,
    putNode: fail,
    writeNode: fail,
    getNode: fail,
    getNodeVersioned: fail,
    listNodes: fail,
    deleteNode: fail,
    recordBoot: fail,
    listBoots: fail,
  };
}
