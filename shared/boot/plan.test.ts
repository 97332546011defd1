// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { describe, expect, it } from "vitest";
import { IMAGES, identity, image, imageMap, node } from "../../test/support/boot/fixtures.ts";
import { PROVISION_STATES, type ProvisionState } from "../model/index.ts";
import { type BootPlan, planBoot } from "./plan.ts";

const images = imageMap();
const request = identity();

function bootOf(plan: BootPlan) {
  if (plan.kind !== "boot")
    throw new Error(
      `expected a boot plan, got ${plan.kind}: ${"reason" in plan ? plan.reason : ""}`,
    );
  return plan;
}

const argText = (plan: BootPlan) =>
  bootOf(plan).kernelArgs.map((a) => (typeof a === "string" ? a : a.text));

describe("planBoot by provision state", () => {
  const expected: Record<ProvisionState, string> = {
    enroll: "refuse",
    manageable: "refuse",
    inspecting: "boot deploy",
    available: "refuse",
    deploying: "boot deploy",
    active: "boot instance",
    rescuing: "boot rescue",
    rescue: "boot rescue",
    unrescuing: "refuse",
    deleting: "refuse",
    cleaning: "boot deploy",
    error: "refuse",
  };
  it.each(PROVISION_STATES)("%s", (state) => {
    const plan = planBoot({ node: node({ state }), images, request });
    expect(plan.kind === "boot" ? `boot ${plan.purpose}` : plan.kind).toBe(expected[state]);
    if (plan.kind === "refuse") expect(plan.reason).toContain(`provision state ${state}`);
  });

  it("boots the deploy images with BOOTIF first, then the node's arguments", () => {
    const plan = bootOf(planBoot({ node: node(), images, request }));
    expect(plan.kernel.id).toBe("ipa-kernel");
    expect(plan.ramdisk.id).toBe("ipa-ramdisk");
    expect(plan.source).toBe("deploy");
    expect(argText(plan)).toEqual(["BOOTIF=01-52-54-00-12-34-56", "console=ttyS0", "ipa-debug=1"]);
  });

  it("boots the rescue images (with BOOTIF) while rescuing", () => {
    const plan = bootOf(planBoot({ node: node({ state: "rescue" }), images, request }));
    expect([plan.kernel.id, plan.ramdisk.id]).toEqual(["rescue-kernel", "rescue-ramdisk"]);
    expect(argText(plan)[0]).toBe("BOOTIF=01-52-54-00-12-34-56");
  });

  it("boots the instance images with only the node's arguments", () => {
    const plan = bootOf(planBoot({ node: node({ state: "active" }), images, request }));
    expect([plan.kernel.id, plan.ramdisk.id]).toEqual(["os-kernel", "os-ramdisk"]);
    expect(argText(plan)).toEqual(["console=ttyS0", "ipa-debug=1"]);
  });

  it("leaves an active node with local boot to its disk", () => {
    const n = node({ state: "active", instance: { boot: "local" } });
    expect(planBoot({ node: n, images, request }).kind).toBe("local");
  });

  it("leaves an active node without instance settings to its disk", () => {
    expect(
      planBoot({ node: node({ state: "active", instance: undefined }), images, request }).kind,
    ).toBe("local");
  });

  it("lets iPXE expand the MAC in BOOTIF when the request path held no valid MAC", () => {
    const plan = planBoot({ node: node(), images, request: identity({}, "garbage.ipxe") });
    expect(argText(plan)[0]).toBe("BOOTIF=01-${mac:hexhyp}");
  });

  it("adds nothing when the node has no kernel_args", () => {
    const plan = planBoot({
      node: node({ state: "active", kernel_args: undefined }),
      images,
      request,
    });
    expect(argText(plan)).toEqual([]);
  });
});

describe("planBoot and per-arch images", () => {
  const armNode = node({
    arch_images: {
      arm64: {
        deploy: { kernel: "arm-kernel", ramdisk: "arm-ramdisk" },
        instance: { kernel: "arm-kernel", ramdisk: "arm-ramdisk" },
      },
    },
  });

  it("uses the arch's images when the request's arch matches", () => {
    const plan = bootOf(planBoot({ node: armNode, images, request: identity({ arch: "arm64" }) }));
    expect([plan.kernel.id, plan.ramdisk.id, plan.source]).toEqual([
      "arm-kernel",
      "arm-ramdisk",
      "arch_images.arm64.deploy",
    ]);
  });

  it("uses the defaults for other arches, unknown arches and purposes the arch lacks", () => {
    expect(bootOf(planBoot({ node: armNode, images, request })).kernel.id).toBe("ipa-kernel");
    expect(bootOf(planBoot({ node: armNode, images, request: identity({}) })).kernel.id).toBe(
      "ipa-kernel",
    );
    const rescue = node({ ...armNode, state: "rescue" });
    expect(
      bootOf(planBoot({ node: rescue, images, request: identity({ arch: "arm64" }) })).kernel.id,
    ).toBe("rescue-kernel");
  });

  it("uses the arch's instance images but keeps the node's boot option", () => {
    const active = node({ ...armNode, state: "active" });
    const plan = bootOf(planBoot({ node: active, images, request: identity({ arch: "arm64" }) }));
    expect(plan.source).toBe("arch_images.arm64.instance");
    const local = node({ ...armNode, state: "active", instance: { boot: "local" } });
    expect(planBoot({ node: local, images, request: identity({ arch: "arm64" }) }).kind).toBe(
      "local",
    );
  });

  it("does not mix half an arch pair with the default pair", () => {
    const half = node({
      state: "active",
      arch_images: { arm64: { instance: { kernel: "arm-kernel", boot: "netboot" } } },
    });
    const plan = planBoot({ node: half, images, request: identity({ arch: "arm64" }) });
    expect(plan.kind).toBe("error");
    expect(plan.kind === "error" && plan.reason).toMatch(
      /arch_images\.arm64\.instance\.ramdisk is not set/,
    );
  });
});

describe("planBoot failures", () => {
  it("reports an unknown machine with its identity", () => {
    const plan = planBoot({ node: undefined, images, request });
    expect(plan).toEqual({
      kind: "unknown",
      reason:
        "no node is enrolled with MAC 52:54:00:12:34:56, UUID (none), arch x86_64, platform efi",
    });
  });

  it("reports a missing image id", () => {
    const plan = planBoot({
      node: node(),
      images: imageMap(IMAGES.filter((i) => i.id !== "ipa-ramdisk")),
      request,
    });
    expect(plan.kind).toBe("error");
    expect(plan.kind === "error" && plan.reason).toBe(
      "deploy ramdisk image ipa-ramdisk (deploy.ramdisk of node node-1 (rack 1 slot 1)) does not exist",
    );
  });

  it("reports a state that needs deploy images the node lacks", () => {
    const plan = planBoot({
      node: node({ deploy: undefined, state: "cleaning" }),
      images,
      request,
    });
    expect(plan.kind === "error" && plan.reason).toBe(
      "node node-1 (rack 1 slot 1) is cleaning but has no deploy kernel and ramdisk (set deploy or arch_images.x86_64.deploy)",
    );
  });

  it("reports missing rescue images", () => {
    const plan = planBoot({
      node: node({ rescue: undefined, state: "rescuing" }),
      images: new Map(),
      request,
    });
    expect(plan.kind).toBe("error");
  });

  it("names a node whose name is its id once", () => {
    const plan = planBoot({ node: node({ name: "node-1", state: "available" }), images, request });
    expect(plan.kind === "refuse" && plan.reason).toBe(
      "node node-1 is in provision state available, which does not boot from the network",
    );
  });

  it("uses the images it is given, not others", () => {
    const other = imageMap([
      ...IMAGES.filter((i) => i.id !== "ipa-kernel"),
      image({ id: "ipa-kernel2" }),
    ]);
    expect(planBoot({ node: node(), images: other, request }).kind).toBe("error");
  });
});
