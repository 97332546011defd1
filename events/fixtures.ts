/**
 * What the sample events in this folder refer to: the table contents they expect and the keys
 * their signatures were made with. `tsx events/generate.ts` writes the events from this file; the
 * tests (test/integration/lambda, test/integration/edge) seed a fresh table with it.
 *
 * The keys are public test values, for `sam local invoke` and the tests only.
 */
import type { ImageInput, NodeInput } from "../shared/model/index.ts";

/** Also what `sam local` falls back to (functions/aws/environment/sam-local.ts). */
export { SAMPLE_ARTIFACT_KEY } from "../functions/aws/environment/sam-local.ts";
/** Far in the future, so the signed artifact events stay valid (verification checks only expiry). */
export const SAMPLE_EXPIRES = 4_102_444_800; // 2100-01-01T00:00:00Z

export const FUNCTION_URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws";
export const SOURCE_IP = "198.51.100.23";

/**
 * Behind the stack's CloudFront front (infra/constructs/front.ts): the distribution's name, which
 * scripts must name, the booting machine's address, and the edge server that calls the Function
 * URL (what Lambda reports as the source address then).
 */
export const FRONT_HOST = "d111111abcdef8.cloudfront.net";
export const VIEWER_IP = "203.0.113.50";
export const EDGE_IP = "130.176.0.10";

export const KNOWN_MAC = "52:54:00:5a:b0:01";
export const KNOWN_UUID = "4c4c4544-0042-3510-8052-b4c04f384d32";
export const UNKNOWN_MAC = "52:54:00:5a:b0:99";

/** Small, fixed contents so the artifact events can name their sha256-derived content ids. */
export const KERNEL_BYTES = "swiftboot sample kernel\n".repeat(40);
export const RAMDISK_BYTES = "swiftboot sample ramdisk\n".repeat(80);

export function sampleImages(sha256: { kernel: string; ramdisk: string }): ImageInput[] {
  return [
    {
      id: "sample-kernel",
      name: "sample deploy kernel",
      swift: { container: "swiftboot-samples", object: "deploy/vmlinuz" },
      size: KERNEL_BYTES.length,
      sha256: sha256.kernel,
    },
    {
      id: "sample-ramdisk",
      name: "sample deploy ramdisk",
      swift: { container: "swiftboot-samples", object: "deploy/initramfs" },
      size: RAMDISK_BYTES.length,
      sha256: sha256.ramdisk,
    },
  ];
}

export const sampleNode: NodeInput = {
  id: "sample-node",
  name: "rack1-slot1",
  macs: [KNOWN_MAC],
  uuid: KNOWN_UUID,
  state: "deploying",
  deploy: { kernel: "sample-kernel", ramdisk: "sample-ramdisk" },
  kernel_args: "console=ttyS0,115200n8",
};

/**
 * The `state_id` of sample-node's stay in `deploying` that the callback events were signed for.
 * The store draws a fresh one whenever a node enters a state; tests that replay the events write
 * this one onto the seeded node, as if the machine had booted during that stay.
 */
export const SAMPLE_STATE_ID = "5eed0000c0ffee01";

/** A bearer token of the admin API and its `admin.tokens` entry (scope admin), for the samples. */
export const SAMPLE_ADMIN_TOKEN = "sample-admin-token-not-secret-0123456789";
export const SAMPLE_ADMIN_TOKENS_ENTRY =
  "admin:414c23e29fd710b98349922a2fa32bdedf53e920b9aaf16256a1aaf07a966588";
