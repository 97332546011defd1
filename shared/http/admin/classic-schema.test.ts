import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { imageSchema, nodeSchema } from "../../model/index.ts";
import { bootRecordSchema } from "../../store/boot-record.ts";
import * as mini from "../../validation/zod.ts";
import { classic } from "./classic-schema.ts";

/** What a parse gives, comparable across the two builds: the data, or each issue's path and message. */
function outcome(schema: mini.core.$ZodType, input: unknown) {
  const result = mini.safeParse(schema, input);
  return result.success
    ? { data: result.data }
    : { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) };
}

function classicOutcome(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success
    ? { data: result.data }
    : { issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) };
}

const NODES: unknown[] = [
  {
    id: "rack1-node7",
    name: "node 7",
    macs: ["52-54-00-AB-CD-EF", "525400abcdf0"],
    uuid: "4C4C4544-0042-3510-8052-B4C04F384D32",
    state: "active",
    instance: { kernel: "k", ramdisk: "r" },
    kernel_args: "console=ttyS0",
    arch_images: { arm64: { deploy: { kernel: "ka", ramdisk: "ra" } } },
  },
  { id: "n", name: "n", macs: ["52:54:00:ab:cd:ef", "52:54:00:ab:cd:ef"], state: "enroll" },
  { id: "-bad", name: "", macs: [], state: "sleeping", extra: 1 },
  { id: "n", name: "n", macs: ["not a mac"], state: "active", instance: { boot: "netboot" } },
  { id: "n", name: "n", macs: ["525400abcdef"], state: "active", kernel_args: "a; reboot" },
  { id: "n", name: "n", macs: ["525400abcdef"], state: "active", arch_images: { sparc: {} } },
  "not an object",
  null,
];
const IMAGES: unknown[] = [
  { id: "k", name: "kernel", swift: { object: "a/b" }, sha256: "A".repeat(64), size: 10 },
  { id: "k", name: "k", swift: { container: "c/d", object: "/x/../y" }, origin: "ftp://x" },
  { id: "k", name: "k", swift: { object: "o" }, size: -1, sha256: "xyz" },
];
const BOOTS: unknown[] = [
  { at: "2026-11-24T10:00:00.000Z", node: "n", attempt: 0, outcome: "boot", url_mode: "swift" },
  { at: "yesterday", node: "n", attempt: -1, outcome: "boot", url_mode: "ftp" },
];

describe("classic(): the model's zod/mini schemas as classic zod for @hono/zod-openapi", () => {
  it.each([
    ["node", nodeSchema, NODES],
    ["image", imageSchema, IMAGES],
    ["boot record", bootRecordSchema, BOOTS],
  ] as const)(
    "accepts, transforms and refuses %s records exactly as the model does",
    (_, schema, inputs) => {
      const converted = classic(schema);
      expect(converted).toBeInstanceOf(z.ZodType);
      expect(typeof converted.openapi).toBe("function");
      let refused = 0;
      for (const input of inputs) {
        const expected = outcome(schema, input);
        if ("issues" in expected) refused++;
        expect(classicOutcome(converted, input)).toEqual(expected);
      }
      // Both kinds were compared.
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThan(inputs.length);
    },
  );

  it("converts each schema once, so shared parts stay shared", () => {
    expect(classic(nodeSchema)).toBe(classic(nodeSchema));
  });

  it("refuses what it cannot convert, by name", () => {
    const notZod = { _zod: { constr: { name: "Custom" }, def: { type: "string" } } };
    expect(() => classic(notZod as unknown as mini.core.$ZodType)).toThrow(
      "classic-schema: no classic zod class for Custom",
    );
  });
});
