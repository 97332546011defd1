import { describe, expect, it } from "vitest";
import { commandsOf, parseIpxeScript } from "../../test/support/ipxe/parse.ts";
import {
  CHAIN_URL_SLOT,
  CHAIN_URL_SLOT_LENGTH,
  ChainUrlError,
  chainUrlFor,
  chainUrlProblem,
  embeddedScript,
  findChainUrlSlots,
  patchChainUrl,
} from "./slot.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** A stand-in for a built binary: code bytes around the embedded script. */
function fakeBinary(script = embeddedScript()): Uint8Array {
  const before = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);
  const after = new Uint8Array(1000).fill(0x90);
  const bytes = new Uint8Array(before.length + script.length + after.length);
  bytes.set(before);
  bytes.set(encode(script), before.length);
  bytes.set(after, before.length + script.length);
  return bytes;
}

const setCommand = (script: string) =>
  commandsOf(parseIpxeScript(script)).find((c) => c.name === "set");

describe("the embedded first stage", () => {
  it("is an iPXE script whose slot is one token, filled or not", () => {
    const empty = parseIpxeScript(embeddedScript());
    expect(empty.magicOk).toBe(true);
    expect(setCommand(embeddedScript())?.args).toEqual(["swiftboot-chain", CHAIN_URL_SLOT]);
    const url = "https://boot.example/boot.ipxe";
    const patched = decode(patchChainUrl(fakeBinary(), url));
    const script = patched.slice(patched.indexOf("#!ipxe"), patched.indexOf("goto start\n") + 11);
    expect(setCommand(script)?.args).toEqual(["swiftboot-chain", url]);
    // The same commands in the same places: only the slot's token changed.
    const names = (s: string) => commandsOf(parseIpxeScript(s)).map((c) => c.name);
    expect(names(script)).toEqual(names(embeddedScript()));
  });

  it("chains the URL in the slot after DHCP and retries on failure", () => {
    const commands = commandsOf(parseIpxeScript(embeddedScript()));
    expect(commands.map((c) => c.name)).toEqual([
      "echo",
      "dhcp",
      "goto",
      "set",
      "chain",
      "goto",
      "echo",
      "sleep",
      "goto",
    ]);
    expect(commands.find((c) => c.name === "chain")?.args).toEqual([
      "--autofree",
      "--replace",
      "${swiftboot-chain}",
    ]);
  });
});

describe("patchChainUrl", () => {
  it("fills the one slot with the URL padded by spaces, leaving every other byte", () => {
    const binary = fakeBinary();
    const [offset] = findChainUrlSlots(binary);
    expect(offset).toBeDefined();
    const url = "http://10.0.0.1:8080/boot.ipxe";
    const patched = patchChainUrl(binary, url);
    expect(patched.length).toBe(binary.length);
    const slot = decode(patched.subarray(offset, (offset as number) + CHAIN_URL_SLOT_LENGTH));
    expect(slot).toBe(url.padEnd(CHAIN_URL_SLOT_LENGTH, " "));
    for (let i = 0; i < binary.length; i++) {
      if (i < (offset as number) || i >= (offset as number) + CHAIN_URL_SLOT_LENGTH) {
        if (patched[i] !== binary[i]) throw new Error(`byte ${i} changed`);
      }
    }
    expect(findChainUrlSlots(patched)).toEqual([]);
    // The input is not modified: the stored copy serves other URLs.
    expect(findChainUrlSlots(binary)).toEqual([offset]);
  });

  it("takes a URL of exactly the slot's length and refuses one byte more", () => {
    const base = "https://boot.example/";
    const fits = `${base}${"a".repeat(CHAIN_URL_SLOT_LENGTH - base.length)}`;
    expect(decode(patchChainUrl(fakeBinary(), fits))).toContain(fits);
    expect(() => patchChainUrl(fakeBinary(), `${fits}a`)).toThrow(
      /257 bytes long; swiftboot's iPXE binaries hold at most 256/,
    );
  });

  it("refuses URLs that are unsafe in a script", () => {
    for (const url of [
      "http://a/b c",
      "ftp://a/boot.ipxe",
      "http://a/${x}",
      "http://a/#frag",
      "http://a/\n",
    ]) {
      expect(() => patchChainUrl(fakeBinary(), url)).toThrow(ChainUrlError);
    }
  });

  it("refuses a binary without exactly one slot", () => {
    expect(() => patchChainUrl(new Uint8Array(5000), "http://a/boot.ipxe")).toThrow(
      /0 chain URL slots, not 1/,
    );
    const twice = fakeBinary(`${embeddedScript()}${embeddedScript()}`);
    expect(() => patchChainUrl(twice, "http://a/boot.ipxe")).toThrow(/2 chain URL slots/);
  });

  it("finds a slot at the very end of a binary and not a truncated one", () => {
    const slot = encode(CHAIN_URL_SLOT);
    expect(findChainUrlSlots(slot)).toEqual([0]);
    expect(findChainUrlSlots(slot.subarray(0, slot.length - 1))).toEqual([]);
  });
});

describe("chainUrlFor / chainUrlProblem", () => {
  it("chains the deployment's first stage", () => {
    expect(chainUrlFor("https://boot.example:8443")).toBe("https://boot.example:8443/boot.ipxe");
    expect(chainUrlProblem(chainUrlFor("https://boot.example:8443"))).toBeUndefined();
    expect(chainUrlProblem(`https://${"b".repeat(300)}/boot.ipxe`)).toMatch(/at most 256/);
  });
});
