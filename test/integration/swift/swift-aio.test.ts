import { describe, expect, inject, it } from "vitest";
import { SwiftClient } from "../../support/swift-client.ts";

describe("the Swift from the global setup", () => {
  const swift = SwiftClient.fromInject();

  it("accepts the token and serves the account", async () => {
    const headers = await swift.headAccount();
    expect(headers.get("x-account-container-count")).not.toBeNull();
    expect(inject("swiftStorageUrl")).toBe(
      `${inject("swiftProxyUrl")}/v1/${inject("swiftAccount")}`,
    );
  });

  it("answers /healthcheck", async () => {
    const res = await fetch(`${inject("swiftProxyUrl")}/healthcheck`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("OK");
  });

  it("lists tempurl with sha1, sha256 and sha512 allowed in /info", async () => {
    const res = await fetch(`${inject("swiftProxyUrl")}/info`);
    const info = (await res.json()) as {
      tempurl?: { allowed_digests?: string[]; methods?: string[] };
    };
    expect(info.tempurl?.allowed_digests?.slice().sort()).toEqual(["sha1", "sha256", "sha512"]);
    expect(info.tempurl?.methods).toEqual(expect.arrayContaining(["GET", "HEAD"]));
  });
});
