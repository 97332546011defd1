import { describe, expect, it } from "vitest";
import { ImportDocumentError, parseImportDocument } from "./document.ts";

describe("parseImportDocument", () => {
  it("reads YAML, where unquoted colon MACs stay strings (YAML 1.2)", () => {
    const doc = parseImportDocument("nodes:\n  - macs: [52:54:00:12:34:56]\nimages: []\n", "yaml");
    expect(doc).toEqual({ nodes: [{ macs: ["52:54:00:12:34:56"] }], images: [] });
  });

  it("reads JSON", () => {
    expect(parseImportDocument('{"images":[{"id":"a"}]}', "json")).toEqual({
      images: [{ id: "a" }],
    });
  });

  it("treats an empty file as nothing to import", () => {
    expect(parseImportDocument("", "yaml")).toEqual({});
    expect(parseImportDocument("# just a comment\n", "yaml")).toEqual({});
  });

  it.each([
    ["broken YAML", "nodes: [", "yaml", /^not valid YAML: /],
    ["duplicate keys", "nodes: []\nnodes: []\n", "yaml", /^not valid YAML: .*[Uu]nique/],
    ["broken JSON", "{", "json", /^not valid JSON: /],
    ["a list at the top", "- a\n", "yaml", /must be a mapping/],
    ["a typo'd key", "node: []\n", "yaml", /^node: unknown field/],
    ["nodes not a list", "nodes: {a: 1}\n", "yaml", /^nodes: must be a list of nodes/],
  ])("rejects %s", (_what, text, format, message) => {
    expect(() => parseImportDocument(text, format as "yaml" | "json")).toThrow(ImportDocumentError);
    expect(() => parseImportDocument(text, format as "yaml" | "json")).toThrow(message);
  });
});
