import {
  canRecordSightings,
  type SightingWrite,
  type SightingWriter,
} from "../../../shared/discovery/record.ts";
import type { BootStore } from "../../../shared/store/types.ts";

/**
 * A BootStore whose real implementation is loaded on first use. The DynamoDB store brings the AWS
 * SDK (the largest part of a bundle, ~60 ms to load on a cold start); a cold environment's first
 * request is often `/boot.ipxe`, which needs no store, so it is answered without loading it.
 * A failed load is retried by the next call.
 */
export function lazyBootStore(load: () => Promise<BootStore>): BootStore & SightingWriter {
  let loading: Promise<BootStore> | undefined;
  const store = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return {
    findNodeByMac: async (mac) => (await store()).findNodeByMac(mac),
    findNodeByUuid: async (uuid) => (await store()).findNodeByUuid(uuid),
    getImages: async (ids) => (await store()).getImages(ids),
    // Boot history: written after the answer is decided, so by then the store is loaded anyway.
    recordBoot: async (record, retentionSeconds) =>
      (await store()).recordBoot?.(record, retentionSeconds),
    recordBoots: async (records, retentionSeconds) => {
      const loaded = await store();
      if (loaded.recordBoots !== undefined) return loaded.recordBoots(records, retentionSeconds);
      for (const record of records) await loaded.recordBoot?.(record, retentionSeconds);
    },
    // Unknown machines (docs/provisioning.md): also written after the answer.
    recordSighting: async (write: SightingWrite) => {
      const loaded = await store();
      return canRecordSightings(loaded) ? loaded.recordSighting(write) : false;
    },
  };
}
