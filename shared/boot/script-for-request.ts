import type { Config } from "../config/index.ts";
import { discoveryImageIds } from "../discovery/script.ts";
import { imageIdsOf } from "../model/index.ts";
import type { BootStore } from "../store/types.ts";
import type { BootIdentity } from "./identity.ts";
import { imagesIfFresh } from "./image-cache.ts";
import { buildNodeScript, type NodeScriptResult } from "./node-script.ts";

export interface ScriptRequest {
  request: BootIdentity;
  config: Config;
  /** Unix time in seconds. */
  now: number;
  /** From baseUrlFromRequest. */
  baseUrl: string;
  /** The requesting machine's address (for `swift.temp_url_bind_ip`). */
  clientIp?: string;
}

/**
 * The one core call behind `GET /boot/{mac}.ipxe` and `swiftboot script`: finds the node, reads
 * its images, and builds its script. Store failures are thrown (StoreUnavailableError,
 * CorruptRecordError): each transport answers them its own way.
 */
export async function scriptForRequest(
  store: BootStore,
  input: ScriptRequest,
): Promise<NodeScriptResult> {
  // By the booting NIC's MAC first, then by SMBIOS UUID: either finds the node whichever NIC booted.
  const { mac, uuid } = input.request;
  const node =
    (mac === undefined ? undefined : await store.findNodeByMac(mac)) ??
    (uuid === undefined ? undefined : await store.findNodeByUuid(uuid));
  // An unknown machine boots nothing, or the discovery image with `unknown_action = discover`.
  const imageIds =
    node !== undefined
      ? imageIdsOf(node)
      : input.config.ipxe.unknown_action === "discover"
        ? discoveryImageIds(input.config)
        : [];
  const images =
    imageIds.length === 0
      ? new Map()
      : (imagesIfFresh(store, imageIds) ?? (await store.getImages(imageIds)));
  return buildNodeScript({
    node,
    images,
    request: input.request,
    config: input.config,
    now: input.now,
    baseUrl: input.baseUrl,
    clientIp: input.clientIp,
  });
}
