// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { describe, expect, it } from "vitest";
import { describeIdentity, macHexhyp, parseBootIdentity } from "./identity.ts";

const q = (query: Record<string, string>) => new URLSearchParams(query);

describe("parseBootIdentity", () => {
  it.each(["52-54-00-AB-cd-ef.ipxe", "52:54:00:ab:cd:ef", "525400abcdef.ipxe"])(
    "reads the MAC form %s",
    (seg) => {
      expect(parseBootIdentity(seg, q({})).mac).toBe("52:54:00:ab:cd:ef");
    },
  );

  it("reads uuid, arch, platform and attempt", () => {
    const id = parseBootIdentity(
      "52-54-00-ab-cd-ef.ipxe",
      q({
        uuid: "4C4C4544-0042-3510-8052-B4C04F384D32",
        arch: "arm64",
        platform: "efi",
        attempt: "2",
      }),
    );
    expect(id).toEqual({
      mac: "52:54:00:ab:cd:ef",
      uuid: "4c4c4544-0042-3510-8052-b4c04f384d32",
      arch: "arm64",
      platform: "efi",
      attempt: 2,
      rawMac: "52-54-00-ab-cd-ef",
      problems: [],
    });
  });

  it("treats empty values (unset iPXE settings) as absent", () => {
    const id = parseBootIdentity(
      "52-54-00-ab-cd-ef.ipxe",
      q({ uuid: "", arch: "", platform: "", attempt: "" }),
    );
    expect(id.uuid).toBeUndefined();
    expect(id.arch).toBeUndefined();
    expect(id.attempt).toBe(0);
    expect(id.problems).toEqual([]);
  });

  it("reports invalid values instead of throwing", () => {
    const id = parseBootIdentity(
      "${net0/mac}.ipxe",
      q({ uuid: "nope", arch: "x86_64 || shell", platform: "bios", attempt: "-1" }),
    );
    expect(id.mac).toBeUndefined();
    expect(id.uuid).toBeUndefined();
    expect(id.arch).toBeUndefined();
    expect(id.platform).toBeUndefined();
    expect(id.attempt).toBe(0);
    expect(id.problems.map((p) => p.field)).toEqual(["mac", "uuid", "arch", "platform", "attempt"]);
  });

  it("ignores placeholder UUIDs that many machines share", () => {
    const id = parseBootIdentity(
      "525400abcdef",
      q({ uuid: "00000000-0000-0000-0000-000000000000" }),
    );
    expect(id.uuid).toBeUndefined();
    expect(id.problems[0]?.message).toMatch(/placeholder/);
  });

  it("caps the attempt number", () => {
    expect(parseBootIdentity("525400abcdef", q({ attempt: "1000" })).attempt).toBe(1000);
    expect(parseBootIdentity("525400abcdef", q({ attempt: "1001" })).problems).toHaveLength(1);
    expect(parseBootIdentity("525400abcdef", q({ attempt: "1e3" })).problems).toHaveLength(1);
  });
});

describe("helpers", () => {
  it("formats MACs and identities", () => {
    expect(macHexhyp("52:54:00:ab:cd:ef")).toBe("52-54-00-ab-cd-ef");
    expect(describeIdentity(parseBootIdentity("bogus", q({})))).toBe(
      "MAC bogus, UUID (none), arch (unknown), platform (unknown)",
    );
  });
});
