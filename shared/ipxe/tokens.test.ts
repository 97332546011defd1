// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are iPXE script text, where ${...} is iPXE's own syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type TokenProblem, tokenProblem } from "./tokens.ts";
import { ipxeUrlProblem } from "./url.ts";

/**
 * The checks as they were before the fast paths (one regexp for the common safe case): the
 * reference the current ones must agree with on every input, problem names included.
 */
const OPERATORS = new Set(["||", "&&", ";"]);
function referenceTokenProblem(token: string): TokenProblem | undefined {
  if (token.length === 0) return "empty";
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return "whitespace or control character";
    if (code > 0x7e) return "non-ASCII character";
  }
  if (OPERATORS.has(token)) return "operator";
  if (token.startsWith("#")) return "comment";
  if (token.includes("${")) return "variable expansion";
  if (token.endsWith("\\")) return "line continuation";
  return undefined;
}

const REESCAPED_IN_QUERY = new Set(["%", "#", ":", "@", "?", "/"]);
const HEX = /^[0-9A-Fa-f]{2}$/;
function referenceUrlProblem(url: string): string | undefined {
  const problem = referenceTokenProblem(url);
  if (problem !== undefined) return problem;
  if (!url.startsWith("http://") && !url.startsWith("https://")) return "not an http(s) URL";
  if (url.includes("#")) return "contains '#'";
  const q = url.indexOf("?");
  for (let i = url.indexOf("%"); i !== -1; i = url.indexOf("%", i + 1)) {
    const hex = url.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return "malformed percent escape";
    const code = Number.parseInt(hex, 16);
    if (code >= 0x80) return `escaped non-ASCII byte %${hex}, which the 2019 iPXE mangles`;
    const inQuery = q !== -1 && i > q;
    if (
      inQuery &&
      code > 0x20 &&
      code !== 0x7f &&
      !REESCAPED_IN_QUERY.has(String.fromCharCode(code))
    ) {
      return `query escape %${hex} would reach the server decoded`;
    }
  }
  return undefined;
}

/** Characters that matter to the checks, often, among any others. */
const tricky = fc.constantFrom(
  "$",
  "{",
  "}",
  "#",
  "\\",
  "|",
  "&",
  ";",
  "%",
  "?",
  " ",
  "\t",
  "\n",
  "\u007f",
  "\u0000",
  "é",
  "~",
  "!",
  "a",
  "0",
  "2",
  "B",
  "f",
  "8",
  "3A",
  "2B",
  "C3",
);
const anyText = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: fc.oneof(tricky, fc.string({ minLength: 1, maxLength: 1 })), maxLength: 30 }),
  fc.constantFrom("", "||", "&&", ";", "|", "&", "#", "\\", "${", "$", "{"),
);
const prefixes = fc.constantFrom("http://", "https://", "http:/", "ftp://", "", "#http://");
const urlish = fc
  .tuple(prefixes, anyText, fc.boolean(), anyText)
  .map(([prefix, path, query, rest]) => `${prefix}h/${path}${query ? "?" : ""}${rest}`);

describe("tokenProblem", () => {
  it("names each problem", () => {
    expect(tokenProblem("")).toBe("empty");
    expect(tokenProblem("a b")).toBe("whitespace or control character");
    expect(tokenProblem("é")).toBe("non-ASCII character");
    expect(tokenProblem("é ")).toBe("non-ASCII character");
    expect(tokenProblem("||")).toBe("operator");
    expect(tokenProblem("#x")).toBe("comment");
    expect(tokenProblem("x${y}")).toBe("variable expansion");
    expect(tokenProblem("x\\")).toBe("line continuation");
    expect(tokenProblem("console=ttyS0,115200n8")).toBe(undefined);
    expect(tokenProblem("|")).toBe(undefined);
  });

  it("agrees with the reference on any input (property)", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, urlish), (token) => {
        assert.equal(tokenProblem(token), referenceTokenProblem(token), JSON.stringify(token));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("ipxeUrlProblem fast path", () => {
  it("agrees with the reference on any input (property)", () => {
    fc.assert(
      fc.property(fc.oneof(urlish, anyText), (url) => {
        assert.equal(ipxeUrlProblem(url), referenceUrlProblem(url), JSON.stringify(url));
      }),
      { numRuns: 5000 },
    );
  });

  it("agrees on minted-looking URLs", () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.constantFrom("http", "https"), anyText, fc.nat(), hex, (s, id, e, sig) => {
        const url = `${s}://swiftboot:8080/v1/artifacts/${id}/x/y?expires=${e}&sig=${sig}`;
        assert.equal(ipxeUrlProblem(url), referenceUrlProblem(url), url);
      }),
      { numRuns: 2000 },
    );
  });
});
