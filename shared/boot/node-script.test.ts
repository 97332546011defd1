// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BASE_URL,
  cacheConfig,
  IMAGES,
  identity,
  image,
  imageMap,
  NOW,
  node,
  SIGNING_KEY,
  swiftConfig,
  TEMP_URL_KEY,
} from "../../test/support/boot/fixtures.ts";
import type { Node } from "../model/index.ts";
import { buildNodeScript, type NodeScriptInput } from "./index.ts";

const UUID = "4c4c4544-0042-3510-8052-b4c04f384d32";
const request = identity({ uuid: UUID, arch: "x86_64", platform: "efi" });
const hmac = (key: string, message: string) =>
  createHmac("sha256", key).update(message).digest("hex");

function build(overrides: Partial<NodeScriptInput> = {}) {
  return buildNodeScript({
    node: node(),
    images: imageMap(),
    request,
    config: swiftConfig(),
    now: NOW,
    baseUrl: BASE_URL,
    ...overrides,
  });
}

describe("deploy script, exact text", () => {
  it("Swift mode: temp URLs signed over the object path, default retries, no timeout", () => {
    const expires = NOW + 300;
    const ksig = hmac(TEMP_URL_KEY, `GET\n${expires}\n/v1/AUTH_test/images/ipa/deploy.kernel`);
    const rsig = hmac(TEMP_URL_KEY, `GET\n${expires}\n/v1/AUTH_test/images/ipa/deploy.initramfs`);
    const result = build();
    expect(result.script).toBe(
      [
        "#!ipxe",
        "echo swiftboot: deploy boot of node node-1 (rack 1 slot 1): kernel IPA kernel, ramdisk IPA ramdisk (attempt 1 of 4)",
        "imgfree",
        `kernel --name kernel http://swift.example:8080/v1/AUTH_test/images/ipa/deploy.kernel?temp_url_sig=${ksig}&temp_url_expires=${expires} initrd=ramdisk BOOTIF=01-52-54-00-12-34-56 console=ttyS0 ipa-debug=1 || goto retry`,
        `initrd --name ramdisk http://swift.example:8080/v1/AUTH_test/images/ipa/deploy.initramfs?temp_url_sig=${rsig}&temp_url_expires=${expires} || goto retry`,
        "boot || goto retry",
        ":retry",
        "echo swiftboot: download or boot failed, fetching fresh URLs in 5 s (attempt 2 of 4)",
        "sleep 5",
        `chain --autofree --replace http://boot.example:8080/boot/52-54-00-12-34-56.ipxe?uuid=${UUID}&arch=x86_64&platform=efi&attempt=1 || goto fail`,
        ":fail",
        "echo swiftboot: could not boot node node-1 (rack 1 slot 1)",
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device",
        "exit",
        "",
      ].join("\n"),
    );
    expect(result.expiresAt).toBe(expires);
    expect(result.plan.kind).toBe("boot");
  });

  it("cache mode: artifact URLs, --timeout, reboot as the fail action", () => {
    const config = cacheConfig({ ipxe: { timeout_ms: 30000, fail_action: "reboot" } });
    const expires = NOW + 300;
    // ipa-kernel has no sha256: its content id hashes its location; ipa-ramdisk's is its sha256.
    const kpath = "/v1/artifacts/ipa-kernel/7a145853690c0efb1cc7fbd97fb9930d/deploy.kernel";
    const rpath = `/v1/artifacts/ipa-ramdisk/${"a".repeat(32)}/deploy.initramfs`;
    const ksig = hmac(SIGNING_KEY, `GET\n${expires}\n${kpath}`);
    const rsig = hmac(SIGNING_KEY, `GET\n${expires}\n${rpath}`);
    expect(build({ config }).script).toBe(
      [
        "#!ipxe",
        "echo swiftboot: deploy boot of node node-1 (rack 1 slot 1): kernel IPA kernel, ramdisk IPA ramdisk (attempt 1 of 4)",
        "imgfree",
        `kernel --name kernel --timeout 30000 http://boot.example:8080${kpath}?expires=${expires}&sig=${ksig} initrd=ramdisk BOOTIF=01-52-54-00-12-34-56 console=ttyS0 ipa-debug=1 || goto retry`,
        `initrd --name ramdisk --timeout 30000 http://boot.example:8080${rpath}?expires=${expires}&sig=${rsig} || goto retry`,
        "boot || goto retry",
        ":retry",
        "echo swiftboot: download or boot failed, fetching fresh URLs in 5 s (attempt 2 of 4)",
        "sleep 5",
        `chain --autofree --replace --timeout 30000 http://boot.example:8080/boot/52-54-00-12-34-56.ipxe?uuid=${UUID}&arch=x86_64&platform=efi&attempt=1 || goto fail`,
        ":fail",
        "echo swiftboot: could not boot node node-1 (rack 1 slot 1)",
        "echo swiftboot: rebooting",
        "reboot",
        "",
      ].join("\n"),
    );
  });
});

describe("retries", () => {
  it("re-chains with attempt + 1 while attempts remain", () => {
    const script = build({ request: identity({ attempt: "2" }) }).script;
    expect(script).toContain("attempt 3 of 4");
    expect(script).toContain("/boot/52-54-00-12-34-56.ipxe?attempt=3 || goto fail");
  });

  it("takes the fail action directly once the attempts are used up", () => {
    const script = build({ request: identity({ attempt: "3" }) }).script;
    expect(script).not.toContain("chain");
    expect(script).not.toContain(":retry");
    expect(script).toContain("boot || goto fail\n:fail\n");
    expect(build({ request: identity({ attempt: "999" }) }).script).not.toContain("chain");
  });

  it("never re-chains with retries 0", () => {
    const script = build({ config: swiftConfig({ ipxe: { retries: 0 } }) }).script;
    expect(script).not.toContain("goto retry");
    expect(script).toContain("(attempt 1 of 1)");
  });

  it("sleeps ipxe.retry_delay seconds", () => {
    expect(build({ config: swiftConfig({ ipxe: { retry_delay: 42 } }) }).script).toContain(
      "\nsleep 42\n",
    );
  });

  it("re-chains with ${mac:hexhyp} when the request path held no valid MAC", () => {
    const script = build({ request: identity({ uuid: UUID }, "bogus.ipxe") }).script;
    expect(script).toContain(
      `http://boot.example:8080/boot/\${mac:hexhyp}.ipxe?uuid=${UUID}&attempt=1 || goto fail`,
    );
    expect(script).toContain("BOOTIF=01-${mac:hexhyp} ");
  });
});

describe("fail actions and no-boot scripts", () => {
  it.each(["exit", "reboot", "shell"] as const)("ends a refusal with %s", (fail_action) => {
    const script = build({
      node: node({ state: "available" }),
      config: swiftConfig({ ipxe: { fail_action } }),
    }).script;
    expect(script.endsWith(`\n${fail_action}\n`)).toBe(true);
  });

  it("explains a refusal", () => {
    expect(build({ node: node({ state: "enroll" }) }).script).toBe(
      "#!ipxe\n" +
        "echo swiftboot: node node-1 (rack 1 slot 1) is in provision state enroll, which does not boot from the network\n" +
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device\n" +
        "exit\n",
    );
  });

  it("exits to the local disk for an active node with local boot, whatever the fail action", () => {
    const result = build({
      node: node({ state: "active", instance: { boot: "local" } }),
      config: swiftConfig({ ipxe: { fail_action: "shell" } }),
    });
    expect(result.script).toBe(
      "#!ipxe\necho swiftboot: node node-1 (rack 1 slot 1) is active and boots from its local disk\nexit\n",
    );
    expect(result.expiresAt).toBeUndefined();
  });

  it("tells an unknown machine who it is and why it was not booted", () => {
    const result = build({
      node: undefined,
      request: identity({ uuid: "not-a-uuid", arch: "arm64" }),
    });
    expect(result.script).toBe(
      "#!ipxe\n" +
        "echo swiftboot: unknown machine: no node is enrolled with MAC 52:54:00:12:34:56, UUID (none), arch arm64, platform (unknown)\n" +
        "echo swiftboot: ignored uuid not-a-uuid: is not a UUID\n" +
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device\n" +
        "exit\n",
    );
    expect(result.logFields).toMatchObject({
      outcome: "unknown",
      request_problems: "uuid is not a UUID",
    });
  });

  it("makes hostile request values harmless on an unknown machine's console", () => {
    const result = build({
      node: undefined,
      request: identity({ uuid: "x\nshell ${y}" }, "${a}||reboot;#"),
    });
    expect(result.script).toContain("MAC $(a}||reboot;#, UUID (none)");
    expect(result.script).toContain("echo swiftboot: ignored uuid x shell $(y}: is not a UUID\n");
  });

  it("reports a missing image on the console", () => {
    const result = build({ images: imageMap(IMAGES.filter((i) => i.id !== "ipa-kernel")) });
    expect(result.plan.kind).toBe("error");
    expect(result.script).toBe(
      "#!ipxe\n" +
        "echo swiftboot: cannot boot node node-1 (rack 1 slot 1): deploy kernel image ipa-kernel (deploy.kernel of node node-1 (rack 1 slot 1)) does not exist\n" +
        "echo swiftboot: leaving iPXE so the firmware tries the next boot device\n" +
        "exit\n",
    );
  });
});

describe("URL modes", () => {
  it("signs temp URLs over the container named by the image, percent-encoding the object", () => {
    const images = imageMap([
      ...IMAGES.filter((i) => i.id !== "ipa-kernel"),
      image({ id: "ipa-kernel", swift: { container: "other", object: "k ernel+(1)" } }),
    ]);
    const expires = NOW + 300;
    const sig = hmac(TEMP_URL_KEY, `GET\n${expires}\n/v1/AUTH_test/other/k ernel+(1)`);
    expect(build({ images }).script).toContain(
      `kernel --name kernel http://swift.example:8080/v1/AUTH_test/other/k%20ernel%2B%281%29?temp_url_sig=${sig}&temp_url_expires=${expires} `,
    );
  });

  it("explains that a non-ASCII object name cannot be fetched by the 2019 iPXE", () => {
    const images = imageMap([
      ...IMAGES.filter((i) => i.id !== "ipa-kernel"),
      image({ id: "ipa-kernel", swift: { object: "kernel-ü" } }),
    ]);
    const result = build({ images });
    expect(result.plan.kind).toBe("error");
    expect(result.script).toContain(
      "kernel URL (image ipa-kernel) is unsafe in an iPXE script (escaped non-ASCII byte %C3, which the 2019 iPXE mangles)",
    );
    // Cache mode serves the same image under an ASCII file name.
    expect(build({ images, config: cacheConfig() }).plan.kind).toBe("boot");
  });

  it("adds the expected download start delay to the expiry and honours the digest", () => {
    const config = swiftConfig({
      swift: {
        temp_url_duration: 600,
        temp_url_expected_download_start_delay: 60,
        temp_url_digest: "sha1",
      },
    });
    const result = build({ config });
    expect(result.expiresAt).toBe(NOW + 660);
    expect(result.script).toMatch(/temp_url_sig=[0-9a-f]{40}&temp_url_expires=1700000660 /);
  });

  it("binds temp URLs to the client address when asked", () => {
    const config = swiftConfig({ swift: { temp_url_bind_ip: true } });
    const expires = NOW + 300;
    const sig = hmac(
      TEMP_URL_KEY,
      `ip=10.0.2.15\nGET\n${expires}\n/v1/AUTH_test/images/ipa/deploy.kernel`,
    );
    const script = build({ config, clientIp: "::ffff:10.0.2.15" }).script;
    expect(script).toContain(
      `?temp_url_sig=${sig}&temp_url_expires=${expires}&temp_url_ip_range=10.0.2.15 `,
    );
    expect(build({ config, clientIp: "fd00::1" }).script).toContain(
      "&temp_url_ip_range=fd00%3A%3A1 ",
    );
    const unknown = build({ config });
    expect(unknown.plan.kind).toBe("error");
    expect(unknown.script).toContain("client address is unknown");
  });

  it("explains an image with no container when there is no default container", () => {
    const config = swiftConfig({ swift: { container: "" } });
    const result = build({ config });
    expect(result.plan.kind).toBe("error");
    expect(result.script).toContain(
      "echo swiftboot: cannot boot node node-1 (rack 1 slot 1): image ipa-kernel names no Swift container and swift.container is not set\n",
    );
  });

  it("uses artifact URLs with the artifact duration in cache mode", () => {
    const result = build({ config: cacheConfig({ artifacts: { url_duration: 900 } }) });
    expect(result.expiresAt).toBe(NOW + 900);
    expect(result.script).toContain(`http://boot.example:8080/v1/artifacts/ipa-kernel/`);
    expect(result.logFields.url_mode).toBe("artifacts");
  });
});

describe("values that fail the checks are never emitted", () => {
  it("renders an error script for a kernel argument that slipped past validation", () => {
    const bad = { ...node(), kernel_args: "console=ttyS0 a\tb" } as Node;
    const result = build({ node: bad });
    expect(result.plan.kind).toBe("error");
    expect(result.script).not.toContain("kernel --name");
    expect(result.script).toContain(
      "kernel argument 3 is unsafe in an iPXE script (whitespace or control character)",
    );
  });

  it("renders an error script for a base URL with an expansion in it", () => {
    const result = build({ config: cacheConfig(), baseUrl: "http://h/${x}" });
    expect(result.plan.kind).toBe("error");
    expect(result.script).not.toContain("${");
    expect(result.script).toContain("unsafe in an iPXE script (variable expansion)");
  });

  it("refuses a clock in milliseconds (a caller bug) instead of minting far-future URLs", () => {
    expect(() => build({ now: Date.now() })).toThrow(RangeError);
  });

  it("keeps secrets and URLs out of the log fields", () => {
    const fields = JSON.stringify(build().logFields);
    expect(fields).not.toMatch(/sig|http|key/i);
  });
});
