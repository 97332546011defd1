// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import { describe, expect, it } from "vitest";
import { scriptProblems } from "./check.ts";

const ok = "#!ipxe\nkernel http://h/k a=1 || goto fail\n:fail\necho bye\nexit\n";

describe("scriptProblems (the property tests' judge)", () => {
  it("passes a well-formed script", () => {
    expect(scriptProblems(ok)).toEqual([]);
  });

  it.each([
    ["missing magic", "kernel x\n", /#!ipxe/],
    ["leading space", " #!ipxe\n", /#!ipxe/],
    ["unknown command", "#!ipxe\nimgexec x\n", /imgexec/],
    ["injected command", "#!ipxe\necho a\nshell\n", null],
    ["comment", "#!ipxe\necho a #b\n", /comment/],
    ["&& operator", "#!ipxe\necho a && reboot\n", /operator &&/],
    ["; operator", "#!ipxe\necho a ; exit\n", /operator ;/],
    ["|| to a non-goto", "#!ipxe\nboot || shell\n", /goto/],
    ["goto a missing label", "#!ipxe\nboot || goto nowhere\n", /goto/],
    ["expansion", "#!ipxe\necho ${net0/ip}\n", /unintended expansion/],
    ["continuation", "#!ipxe\necho a \\\nexit\n", /continuation/],
    ["carriage return", "#!ipxe\r\necho a\n", /carriage/],
    ["echo option", "#!ipxe\necho -n x\n", /option/],
  ])("flags %s", (_name, script, pattern) => {
    const problems = scriptProblems(script, {
      commands: ["kernel", "echo", "exit", "goto", "boot"],
    });
    expect(problems.length).toBeGreaterThan(0);
    if (pattern) expect(problems.join("\n")).toMatch(pattern);
  });

  it("allows only the expansions declared, and only in the declared command", () => {
    const script = "#!ipxe\nchain http://h/${mac:hexhyp}.ipxe\necho ${mac:hexhyp}\n";
    expect(
      scriptProblems(script, { expansions: [{ setting: "mac:hexhyp", command: "chain" }] }),
    ).toEqual(["line 3: unintended expansion ${mac:hexhyp} in echo"]);
  });
});
