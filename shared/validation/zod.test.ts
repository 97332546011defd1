import { describe, expect, it } from "vitest";
import * as z from "./zod.ts";

describe("shared/validation/zod.ts", () => {
  it("gives zod/mini zod's English messages (it has no locale of its own)", () => {
    const result = z.safeParse(z.strictObject({ n: z.int(), s: z.string() }), { n: "1", x: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      "Invalid input: expected number, received string",
      "Invalid input: expected string, received undefined",
      'Unrecognized key: "x"',
    ]);
  });
});
