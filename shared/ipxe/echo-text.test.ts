// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are iPXE script text, where ${...} is iPXE's own syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expansionsIn, parseIpxeScript } from "../../test/support/ipxe/parse.ts";
import { echoArgs, echoText, echoWords, MAX_ECHO_CHARS } from "./echo-text.ts";
import { tokenProblem } from "./tokens.ts";

describe("echoWords", () => {
  it("keeps plain words", () => {
    expect(echoWords("node r1-n07 (rack 1) is active")).toEqual([
      "node",
      "r1-n07",
      "(rack",
      "1)",
      "is",
      "active",
    ]);
  });

  it("splits on any whitespace, including newlines and Unicode spaces", () => {
    expect(echoWords("a\nexit\tb\u00a0c\u2028d")).toEqual(["a", "exit", "b", "c", "d"]);
  });

  it("drops accents and replaces other non-ASCII characters", () => {
    expect(echoText("Müller Ĳssel 東京")).toBe("Muller IJssel ??");
  });

  it("never lets ${ form, however it is nested", () => {
    expect(echoText("${a} $${b} $${{c}}")).toBe("$(a} $$(b} $$({c}}");
  });

  it("quotes operators, comment starts and continuations", () => {
    expect(echoWords("a || b && c ; #d e\\")).toEqual([
      "a",
      "'||'",
      "b",
      "'&&'",
      "c",
      "';'",
      "'#d'",
      "'e\\'",
    ]);
  });

  it("quotes a first word that echo would read as an option", () => {
    expect(echoWords("-n x -y")).toEqual(["'-n'", "x", "-y"]);
  });

  it("passes plain messages through unchanged", () => {
    const text = "swiftboot: node r1 (rack 1) is active, booting 100% from disk";
    expect(echoArgs(text)).toBe(text);
    expect(echoArgs(" a  b ")).toBe("a b");
    expect(echoArgs("a; b")).toBe("a; b");
    expect(echoArgs("a ; b")).toBe("a ';' b");
  });

  it("caps the length", () => {
    const words = echoWords("x".repeat(5000));
    expect(words.join("").length).toBeLessThanOrEqual(MAX_ECHO_CHARS + 3);
    expect(words.at(-1)).toBe("...");
  });

  it("makes every word a safe token for any input (property)", () => {
    fc.assert(
      // Plain asserts: vitest's expect is too slow to call thousands of times.
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const words = echoWords(text);
        for (const word of words) assert.equal(tokenProblem(word), undefined, word);
        assert.ok(!words[0]?.startsWith("-"));
        const parsed = parseIpxeScript(`#!ipxe\necho ${words.join(" ")}\n`);
        assert.equal(parsed.lines.length, 2);
        assert.deepEqual(parsed.lines[1]?.commands, [{ name: "echo", args: words }]);
        for (const word of words) assert.deepEqual(expansionsIn(word), []);
        // The fast path for plain messages agrees with the general one.
        assert.equal(echoArgs(text), words.join(" "));
      }),
      { numRuns: 2000 },
    );
  });

  it("takes the fast path for plain ASCII messages only when the general one agrees (property)", () => {
    const unit = fc.oneof(
      fc.constantFrom(" ", " ", "-", "$", "{", "#", "\\", "|", "&", ";", "'", "\t", "é"),
      fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (text) => {
        assert.equal(echoArgs(text), echoWords(text).join(" "), JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
    const long = "x".repeat(MAX_ECHO_CHARS + 1);
    expect(echoArgs(long)).toBe(echoWords(long).join(" "));
  });
});
