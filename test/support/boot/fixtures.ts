import { type BootIdentity, parseBootIdentity } from "../../../shared/boot/identity.ts";
import { type Config, type ConfigInput, parseConfig } from "../../../shared/config/index.ts";
import {
  type Image,
  type ImageInput,
  imageSchema,
  type Node,
  type NodeInput,
  nodeSchema,
} from "../../../shared/model/index.ts";

/** Test fixtures: a deploy-capable node, its images, and configs for both URL modes. */

export const NOW = 1_700_000_000;
export const TEMP_URL_KEY = "swift-temp-url-key-0123456789";
export const SIGNING_KEY = "artifact-signing-key-0123456789";
export const BASE_URL = "http://boot.example:8080";

type DeepPartialConfig = { [G in keyof ConfigInput]?: Partial<NonNullable<ConfigInput[G]>> };

export function swiftConfig(overrides: DeepPartialConfig = {}): Config {
  return config({
    ...overrides,
    ipxe: { use_swift: true, ...overrides.ipxe },
    swift: {
      endpoint_url: "http://swift.example:8080",
      account: "AUTH_test",
      container: "images",
      temp_url_key: TEMP_URL_KEY,
      ...overrides.swift,
    },
  });
}

export function cacheConfig(overrides: DeepPartialConfig = {}): Config {
  return config({
    ...overrides,
    ipxe: { use_swift: false, ...overrides.ipxe },
    artifacts: { signing_key: SIGNING_KEY, ...overrides.artifacts },
  });
}

function config(file: DeepPartialConfig): Config {
  return parseConfig({ file });
}

export function image(input: Partial<ImageInput> & { id: string }): Image {
  return imageSchema.parse({ name: input.id, swift: { object: `ipa/${input.id}` }, ...input });
}

export const IMAGES: Image[] = [
  image({ id: "ipa-kernel", name: "IPA kernel", swift: { object: "ipa/deploy.kernel" } }),
  image({
    id: "ipa-ramdisk",
    name: "IPA ramdisk",
    swift: { object: "ipa/deploy.initramfs" },
    sha256: "a".repeat(64),
  }),
  image({ id: "rescue-kernel", swift: { object: "rescue/vmlinuz" } }),
  image({ id: "rescue-ramdisk", swift: { object: "rescue/initrd.img" } }),
  image({ id: "os-kernel", swift: { container: "os", object: "debian/vmlinuz" } }),
  image({ id: "os-ramdisk", swift: { container: "os", object: "debian/initrd.img" } }),
  image({ id: "arm-kernel", swift: { object: "arm64/Image" } }),
  image({ id: "arm-ramdisk", swift: { object: "arm64/initrd" } }),
];

export function imageMap(images: readonly Image[] = IMAGES): Map<string, Image> {
  return new Map(images.map((i) => [i.id, i]));
}

export const MAC = "52:54:00:12:34:56";

export function node(overrides: Partial<NodeInput> = {}): Node {
  return nodeSchema.parse({
    id: "node-1",
    name: "rack 1 slot 1",
    macs: [MAC],
    uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
    state: "deploying",
    deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
    rescue: { kernel: "rescue-kernel", ramdisk: "rescue-ramdisk" },
    instance: { kernel: "os-kernel", ramdisk: "os-ramdisk", boot: "netboot" },
    kernel_args: "console=ttyS0 ipa-debug=1",
    ...overrides,
  });
}

export function identity(
  query: Record<string, string> = { arch: "x86_64", platform: "efi" },
  macSegment = "52-54-00-12-34-56.ipxe",
): BootIdentity {
  return parseBootIdentity(macSegment, new URLSearchParams(query));
}
