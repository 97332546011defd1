// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { describe, expect, it } from "vitest";
import { BASE_URL, cacheConfig, swiftConfig } from "../../test/support/boot/fixtures.ts";
import { buildFirstStageScript } from "./first-stage.ts";

describe("buildFirstStageScript", () => {
  it("chains the per-node script by MAC, passing uuid, arch and platform", () => {
    expect(buildFirstStageScript({ config: swiftConfig(), baseUrl: BASE_URL })).toBe(
      "#!ipxe\n" +
        "chain --autofree --replace http://boot.example:8080/boot/${mac:hexhyp}.ipxe?uuid=${uuid}&arch=${buildarch}&platform=${platform} || goto fail\n" +
        ":fail\n" +
        "echo swiftboot: could not fetch this machine's boot script from http://boot.example:8080\n" +
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device\n" +
        "exit\n",
    );
  });

  it("uses the download timeout and fail action", () => {
    const script = buildFirstStageScript({
      config: cacheConfig({ ipxe: { timeout_ms: 5000, fail_action: "shell" } }),
      baseUrl: BASE_URL,
    });
    expect(script).toContain("chain --autofree --replace --timeout 5000 http://");
    expect(script).toContain("echo swiftboot: dropping to the iPXE shell\nshell\n");
  });

  it("renders an error script rather than an unsafe base URL", () => {
    const script = buildFirstStageScript({ config: cacheConfig(), baseUrl: "http://h/${net0/ip}" });
    expect(script).toBe(
      "#!ipxe\n" +
        "echo swiftboot: cannot chain the per-machine boot script: the base URL is unsafe in an iPXE script (variable expansion)\n" +
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device\n" +
        "exit\n",
    );
  });
});
