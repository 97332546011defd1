import { describe, expect, it } from "vitest";
import {
  BASE_URL,
  IMAGES,
  identity,
  NOW,
  node,
  swiftConfig,
} from "../../test/support/boot/fixtures.ts";
import { brokenStore, fixedStore } from "../../test/support/store/index.ts";
import { StoreUnavailableError } from "../store/errors.ts";
import { scriptForRequest } from "./script-for-request.ts";

describe("scriptForRequest (GET /boot/{mac}.ipxe and `swiftboot script`)", () => {
  const store = fixedStore([node()], IMAGES);
  const input = (query: Record<string, string>, mac = "52-54-00-12-34-56.ipxe") => ({
    request: identity({ arch: "x86_64", platform: "efi", ...query }, mac),
    config: swiftConfig(),
    now: NOW,
    baseUrl: BASE_URL,
  });

  it("finds the node by the booting NIC's MAC and builds its deploy script", async () => {
    const result = await scriptForRequest(store, input({}));
    expect(result.plan).toMatchObject({ kind: "boot", purpose: "deploy" });
    expect(result.logFields).toMatchObject({ node: "node-1", kernel: "ipa-kernel" });
    expect(result.script).toMatch(/^#!ipxe\n/);
  });

  it("falls back to the SMBIOS UUID when another NIC booted", async () => {
    const result = await scriptForRequest(
      store,
      input({ uuid: "4c4c4544-0042-3510-8052-b4c04f384d32" }, "52-54-00-ff-ff-ff.ipxe"),
    );
    expect(result.logFields).toMatchObject({ node: "node-1", outcome: "boot" });
  });

  it("answers an unknown machine with the unknown plan", async () => {
    const result = await scriptForRequest(store, input({}, "52-54-00-ff-ff-ff.ipxe"));
    expect(result.plan.kind).toBe("unknown");
  });

  it("throws the store's failure for the transport to answer", async () => {
    await expect(scriptForRequest(brokenStore(), input({}))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
