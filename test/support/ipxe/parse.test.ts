// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are iPXE script text, where ${...} is iPXE's own syntax
import { describe, expect, it } from "vitest";
import { expansionsIn, parseIpxeScript, splitTokens } from "./parse.ts";

describe("parseIpxeScript (test model of iPXE)", () => {
  it("checks the magic line", () => {
    expect(parseIpxeScript("#!ipxe\n").magicOk).toBe(true);
    expect(parseIpxeScript(" #!ipxe\n").magicOk).toBe(false);
    expect(parseIpxeScript("#!ipxe").magicOk).toBe(false);
  });

  it("splits commands on operators and stops at comments", () => {
    const { lines } = parseIpxeScript("#!ipxe\nkernel a b || goto x ; echo #c d\n");
    expect(lines[1]?.commands).toEqual([
      { name: "kernel", args: ["a", "b"], next: "||" },
      { name: "goto", args: ["x"], next: ";" },
      { name: "echo", args: [] },
    ]);
    expect(lines[1]?.comment).toBe("#c d");
  });

  it("treats operators inside tokens as literal", () => {
    expect(parseIpxeScript("#!ipxe\nchain http://h/?a=1&&b;c\n").lines[1]?.commands).toEqual([
      { name: "chain", args: ["http://h/?a=1&&b;c"] },
    ]);
  });

  it("joins continued lines and reads labels", () => {
    const { lines } = parseIpxeScript("#!ipxe\n  :retry echo a\\\nb\r\n");
    expect(lines[1]).toEqual({
      line: 2,
      label: "retry",
      commands: [{ name: "echo", args: ["ab"] }],
    });
  });

  it("splits on C isspace only", () => {
    expect(splitTokens("a\tb\vc\fd\u00a0e")).toEqual(["a", "b", "c", "d\u00a0e"]);
  });

  it("finds nested and unclosed expansions", () => {
    expect(expansionsIn("a${b${c}}d${e")).toEqual(["c", "b${c}", "e"]);
    expect(expansionsIn("$x {y}")).toEqual([]);
  });
});
