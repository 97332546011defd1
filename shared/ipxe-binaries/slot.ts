import { ipxeUrlProblem } from "../ipxe/index.ts";

/**
 * swiftboot's iPXE binaries are built once per configuration, not per deployment: their embedded
 * script carries a fixed-size slot that swiftboot fills with the deployment's chain URL when it
 * serves the binary (like Tinkerbell's ipxedust). The slot is a run of ASCII bytes inside the
 * embedded script, which EFI builds carry as they are; patching it needs no compiler.
 *
 * The slot is one token of the script when empty and when filled (the URL, then spaces), so the
 * script parses the same way whatever the URL's length.
 */

/** Bytes in the slot: the longest chain URL a binary can carry. */
export const CHAIN_URL_SLOT_LENGTH = 256;

const SLOT_MARKER = "SWIFTBOOT_CHAIN_URL_SLOT_";

/** The unfilled slot as it is compiled into the binary. */
export const CHAIN_URL_SLOT = SLOT_MARKER.padEnd(CHAIN_URL_SLOT_LENGTH, "X");

export class ChainUrlError extends Error {
  override name = "ChainUrlError";
}

/** Why a URL cannot be a binary's chain URL, or undefined when it can. */
export function chainUrlProblem(url: string): string | undefined {
  const problem = ipxeUrlProblem(url);
  if (problem !== undefined) return problem;
  if (url.length > CHAIN_URL_SLOT_LENGTH) {
    return `is ${url.length} bytes long; swiftboot's iPXE binaries hold at most ${CHAIN_URL_SLOT_LENGTH}`;
  }
  return undefined;
}

/** The chain URL a deployment patches into its binaries: its own first-stage script. */
export function chainUrlFor(baseUrl: string): string {
  return `${baseUrl}/boot.ipxe`;
}

/**
 * The script embedded in every build: get an address, then chain the URL in the slot. A failure
 * says so on the console and starts again after a pause, so a machine that booted before the
 * server was reachable recovers by itself.
 */
export function embeddedScript(chainUrl: string = CHAIN_URL_SLOT): string {
  return [
    "#!ipxe",
    "echo swiftboot: first stage built into this iPXE",
    ":start",
    "dhcp || goto retry",
    `set swiftboot-chain ${chainUrl}`,
    "chain --autofree --replace ${swiftboot-chain} || goto retry",
    ":retry",
    "echo swiftboot: could not reach ${swiftboot-chain}; trying again in 10 s",
    "sleep 10",
    "goto start",
    "",
  ].join("\n");
}

const encoder = new TextEncoder();
const SLOT_BYTES = encoder.encode(CHAIN_URL_SLOT);

/** Offsets of every unfilled slot in a binary. */
export function findChainUrlSlots(binary: Uint8Array): number[] {
  const found: number[] = [];
  const first = SLOT_BYTES[0] as number;
  const last = binary.length - SLOT_BYTES.length;
  outer: for (
    let i = binary.indexOf(first);
    i !== -1 && i <= last;
    i = binary.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < SLOT_BYTES.length; j++) {
      if (binary[i + j] !== SLOT_BYTES[j]) continue outer;
    }
    found.push(i);
  }
  return found;
}

/**
 * A copy of `binary` with its slot filled with `chainUrl` (padded with spaces). Throws
 * ChainUrlError when the URL cannot be carried or the binary does not have exactly one slot.
 */
export function patchChainUrl(binary: Uint8Array, chainUrl: string): Uint8Array<ArrayBuffer> {
  const problem = chainUrlProblem(chainUrl);
  if (problem !== undefined) throw new ChainUrlError(`the chain URL ${problem}`);
  const slots = findChainUrlSlots(binary);
  if (slots.length !== 1) {
    throw new ChainUrlError(
      `the binary has ${slots.length} chain URL slots, not 1: it was not built by swiftboot ipxe build`,
    );
  }
  const patched = binary.slice();
  patched.set(encoder.encode(chainUrl.padEnd(CHAIN_URL_SLOT_LENGTH, " ")), slots[0]);
  return patched;
}
