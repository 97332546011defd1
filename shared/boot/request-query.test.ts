import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestQuery } from "./request-query.ts";

const NAMES = ["uuid", "arch", "platform", "attempt", "", "a", "x"];

describe("requestQuery", () => {
  it("reads what iPXE sends", () => {
    const q = requestQuery(
      "http://h:80/boot/52-54-00-ab-cd-ef.ipxe?uuid=&arch=x86_64&platform=efi&attempt=1",
    );
    expect([
      q.get("uuid"),
      q.get("arch"),
      q.get("platform"),
      q.get("attempt"),
      q.get("no"),
    ]).toEqual(["", "x86_64", "efi", "1", null]);
    expect(requestQuery("http://h/boot/x.ipxe").get("arch")).toBe(null);
  });

  it("agrees with new URL(url).searchParams on any URL (property)", () => {
    const part = fc.oneof(
      fc.constantFrom(
        ...NAMES,
        "=",
        "&",
        "?",
        "#",
        "%",
        "%41",
        "%zz",
        "+",
        " ",
        "\t",
        "é",
        ".",
        "~",
        ":",
        ",",
        "-",
        "_",
      ),
      fc.string({ maxLength: 4 }),
    );
    const text = fc.array(part, { maxLength: 12 }).map((p) => p.join(""));
    fc.assert(
      fc.property(
        fc.constantFrom("http://h/boot/x.ipxe", "http://h:8080/b", "https://h", "http://h/p#f"),
        text,
        (base, rest) => {
          const url = `${base}${rest}`;
          let expected: URLSearchParams;
          try {
            expected = new URL(url).searchParams;
          } catch {
            return; // not a URL a runtime would hand over
          }
          const q = requestQuery(url);
          for (const name of NAMES) assert.equal(q.get(name), expected.get(name), `${url} ${name}`);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
