import type { NodeInput } from "../../../shared/model/index.ts";
import { adminTestApp } from "../admin-app.ts";
import { IMAGES, MAC, node } from "../boot/fixtures.ts";
import { MemoryStoreWithDiscovery } from "../discovery/memory.ts";

/**
 * The whole app over an in-memory store holding the boot fixtures' images, for callback tests:
 * `callbackUrl` boots a MAC the way iPXE does and takes the URL off its kernel line, `report`
 * posts to it as busybox wget or curl would.
 */
export async function reportTestApp(env: Record<string, string> = {}) {
  const store = new MemoryStoreWithDiscovery();
  for (const image of IMAGES) store.putImageSync(image);
  const t = await adminTestApp(store, env);

  const putNode = (overrides: Partial<NodeInput> = {}) => store.putNode(node(overrides));

  /** The script `mac` gets now. */
  const script = async (mac = MAC) => {
    const res = await t.app.request(`http://boot.example/boot/${mac.replaceAll(":", "-")}.ipxe`);
    return res.text();
  };

  /** The `swiftboot.callback=` URL of the script `mac` gets now (undefined: none). */
  const callbackUrl = async (mac = MAC) => {
    const arg = (await script(mac)).split(/\s+/).find((a) => a.startsWith("swiftboot.callback="));
    return arg?.slice("swiftboot.callback=".length);
  };

  const report = async (
    url: string,
    body: string,
    contentType: string | null = "application/x-www-form-urlencoded",
    method = "POST",
  ) => {
    const res = await t.app.request(url, {
      method,
      headers: contentType === null ? {} : { "content-type": contentType },
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: left empty
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  return { ...t, store, putNode, script, callbackUrl, report };
}
