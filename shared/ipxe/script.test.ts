// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are iPXE script text, where ${...} is iPXE's own syntax
import { describe, expect, it } from "vitest";
import { IpxeScript, ScriptFragment, ScriptToken, UnsafeScriptValueError } from "./script.ts";

describe("IpxeScript", () => {
  it("starts with #!ipxe at byte 0 and writes one command per line", () => {
    const script = new IpxeScript()
      .line(["imgfree"])
      .line(["kernel", "--name", "kernel", "http://h/k", "console=ttyS0"], ["goto", "retry"])
      .label("retry")
      .line(["sleep", "5"])
      .toString();
    expect(script).toBe(
      "#!ipxe\nimgfree\nkernel --name kernel http://h/k console=ttyS0 || goto retry\n:retry\nsleep 5\n",
    );
  });

  it.each([
    ["a b", "whitespace or control character"],
    ["a\nexit", "whitespace or control character"],
    ["||", "operator"],
    [";", "operator"],
    ["#x", "comment"],
    ["x${y}", "variable expansion"],
    ["x\\", "line continuation"],
    ["", "empty"],
    ["é", "non-ASCII character"],
  ])("refuses the argument %j (%s)", (value, problem) => {
    const script = new IpxeScript();
    const error = (() => {
      try {
        script.line(["echo", value]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsafeScriptValueError);
    expect((error as UnsafeScriptValueError).problem).toBe(problem);
    expect(script.toString()).toBe("#!ipxe\n");
  });

  it("checks the fallback command too", () => {
    expect(() => new IpxeScript().line(["boot"], ["goto", "a b"])).toThrow(UnsafeScriptValueError);
  });

  it("refuses label names that are not plain", () => {
    expect(() => new IpxeScript().label("a b")).toThrow(UnsafeScriptValueError);
    expect(() => new IpxeScript().label("")).toThrow(UnsafeScriptValueError);
  });

  it("echoes arbitrary text safely", () => {
    expect(new IpxeScript().echo("hi ${x} || #y").toString()).toBe(
      "#!ipxe\necho hi $(x} '||' '#y'\n",
    );
    expect(new IpxeScript().echo("").toString()).toBe("#!ipxe\necho\n");
  });
});

describe("ScriptToken", () => {
  it("joins literals and deliberate expansions", () => {
    const token = ScriptToken.join([
      "http://h/boot/",
      ScriptToken.expansion("mac:hexhyp"),
      ".ipxe?uuid=",
      ScriptToken.expansion("uuid"),
    ]);
    expect(token.text).toBe("http://h/boot/${mac:hexhyp}.ipxe?uuid=${uuid}");
    expect(new IpxeScript().line(["chain", token]).toString()).toBe(
      "#!ipxe\nchain http://h/boot/${mac:hexhyp}.ipxe?uuid=${uuid}\n",
    );
  });

  it("refuses an expansion hidden in a literal part", () => {
    expect(() => ScriptToken.join(["http://h/${net0/ip}/", ScriptToken.expansion("uuid")])).toThrow(
      UnsafeScriptValueError,
    );
  });

  it("refuses an expansion formed across a part boundary", () => {
    expect(() => ScriptToken.join(["a$", "{b}"])).toThrow(UnsafeScriptValueError);
  });

  it("allows a literal dollar before a deliberate expansion", () => {
    expect(ScriptToken.join(["a$", ScriptToken.expansion("uuid")]).text).toBe("a$${uuid}");
  });

  it("refuses whitespace and comment starts in literal parts", () => {
    expect(() => ScriptToken.join(["a b", ScriptToken.expansion("uuid")])).toThrow(
      UnsafeScriptValueError,
    );
    expect(() => ScriptToken.join(["#", ScriptToken.expansion("uuid")])).toThrow(
      UnsafeScriptValueError,
    );
  });
});

describe("ScriptFragment", () => {
  it("appends exactly the lines its builder wrote, checked when built", () => {
    const fragment = ScriptFragment.of((s) => s.label("fail").echo("a ${b}").line(["exit"]));
    const direct = new IpxeScript().line(["imgfree"]).label("fail").echo("a ${b}").line(["exit"]);
    expect(new IpxeScript().line(["imgfree"]).append(fragment).toString()).toBe(direct.toString());
    expect(fragment.text).toBe(":fail\necho a $(b}\nexit\n");
    expect(() => ScriptFragment.of((s) => s.line(["echo", "a b"]))).toThrow(UnsafeScriptValueError);
  });
});
