import type { BootStore } from "../../../shared/store/types.ts";

/**
 * Only the boot-path reads of a store. createApp serves the admin API whenever its store can
 * write; the boot and artifacts functions sit behind open Function URLs (AuthType NONE), so they
 * get this view and never serve it, whatever the configuration says.
 */
export function bootStoreView(store: BootStore): BootStore {
  return {
    findNodeByMac: (mac) => store.findNodeByMac(mac),
    findNodeByUuid: (uuid) => store.findNodeByUuid(uuid),
    getImages: (ids) => store.getImages(ids),
    ...(store.recordBoot === undefined
      ? {}
      : { recordBoot: (record, days) => store.recordBoot?.(record, days) ?? Promise.resolve() }),
  };
}
