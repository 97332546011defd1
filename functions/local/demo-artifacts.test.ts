import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { DEMO_ORIGIN, demoDocument } from "../../shared/import/index.ts";
import { demoArtifactResponse, withDemoOrigins } from "./demo-artifacts.ts";

const demoOriginFetch = (url: string) =>
  withDemoOrigins()(url, {
    headers: {},
    signal: new AbortController().signal,
    redirect: "follow",
  });

describe("demo artifacts", () => {
  it("serves every demo image's origin, deterministically, and nothing else", async () => {
    for (const image of demoDocument.images) {
      const url = image.origin as string;
      expect(url.startsWith(`${DEMO_ORIGIN}/`)).toBe(true);
      const a = demoArtifactResponse(new Request(url));
      const b = demoArtifactResponse(new Request(url));
      expect(a?.status).toBe(200);
      const bytes = new Uint8Array(await (a as Response).arrayBuffer());
      expect(a?.headers.get("content-length")).toBe(String(bytes.byteLength));
      expect(new TextDecoder().decode(bytes.subarray(0, 60))).toContain(image.swift.object);
      expect(new Uint8Array(await (b as Response).arrayBuffer())).toEqual(bytes);
      const head = demoArtifactResponse(new Request(url, { method: "HEAD" }));
      expect(head?.headers.get("content-length")).toBe(String(bytes.byteLength));
    }
    expect(demoArtifactResponse(new Request(`${DEMO_ORIGIN}/nope`))?.status).toBe(404);
    expect(demoArtifactResponse(new Request("http://127.0.0.1:8080/boot.ipxe"))).toBeUndefined();
  });

  it("answers demo origins in-process, whatever port the server is on, and passes others through", async () => {
    // Nothing listens on the demo origin's port in this test: the answer must not need the network.
    const url = demoDocument.images[0]?.origin as string;
    const res = await demoOriginFetch(url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect((await demoOriginFetch(`${DEMO_ORIGIN}/nope`)).status).toBe(404);

    const other = createServer((_req, out) => out.end("elsewhere"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = other.address() as AddressInfo;
      const passed = await demoOriginFetch(`http://127.0.0.1:${port}/demo/deploy/vmlinuz`);
      expect(await passed.text()).toBe("elsewhere");
    } finally {
      other.close();
    }
  });
});
