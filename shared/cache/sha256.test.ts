import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pseudoRandom } from "../../test/support/cache/contract.ts";
import { createSha256, PortableSha256 } from "./sha256.ts";

const nodeHex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("sha256", () => {
  it("the portable implementation matches node:crypto on FIPS vectors and odd chunkings", () => {
    const abc = new PortableSha256();
    abc.update(new TextEncoder().encode("abc"));
    expect(abc.digestHex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(new PortableSha256().digestHex()).toBe(nodeHex(new Uint8Array(0)));
    for (const length of [1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
      const bytes = pseudoRandom(length, length);
      for (const chunk of [1, 7, 64, 4096]) {
        const h = new PortableSha256();
        for (let i = 0; i < length; i += chunk) h.update(bytes.subarray(i, i + chunk));
        expect(h.digestHex(), `length ${length}, chunk ${chunk}`).toBe(nodeHex(bytes));
      }
    }
  });

  it("createSha256 hashes incrementally", () => {
    const bytes = pseudoRandom(10_000, 9);
    const h = createSha256();
    h.update(bytes.subarray(0, 3000));
    h.update(bytes.subarray(3000));
    expect(h.digestHex()).toBe(nodeHex(bytes));
  });
});
