import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BootLogFields } from "../../boot/index.ts";
import { PROVISION_STATES, type ProvisionState } from "../../model/index.ts";
import { type BootRecord, bootRecordSchema } from "../../store/boot-record.ts";
import { bootRecordOf } from "./record-boot.ts";

/** bootRecordOf as it was (optional fields filtered out of a spread copy): the reference. */
function referenceBootRecordOf(
  fields: BootLogFields,
  at: Date,
  client: string | undefined,
): BootRecord | undefined {
  if (fields.node === undefined) return undefined;
  const state = (PROVISION_STATES as readonly string[]).includes(fields.state ?? "")
    ? (fields.state as ProvisionState)
    : undefined;
  const optional = {
    client: client?.slice(0, 100),
    mac: fields.mac,
    uuid: fields.uuid,
    arch: fields.arch,
    platform: fields.platform,
    state,
    purpose: fields.purpose,
    kernel: fields.kernel,
    ramdisk: fields.ramdisk,
    expires_at: fields.expires_at,
    reason: fields.reason?.slice(0, 1000),
  };
  return {
    at: at.toISOString(),
    node: fields.node,
    attempt: fields.attempt,
    outcome: fields.outcome,
    url_mode: fields.url_mode,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const fieldsArb: fc.Arbitrary<BootLogFields> = fc.record({
  outcome: fc.constantFrom("boot", "local", "refuse", "unknown", "error"),
  purpose: maybe(fc.constantFrom("deploy", "rescue", "instance")),
  node: maybe(fc.constantFrom("n1", "node-7")),
  state: maybe(fc.constantFrom("deploying", "active", "bogus", "", "available")),
  mac: maybe(fc.constant("52:54:00:ab:cd:ef")),
  uuid: maybe(fc.uuid()),
  arch: maybe(fc.constantFrom("x86_64", "arm64")),
  platform: maybe(fc.constantFrom("efi", "pcbios")),
  attempt: fc.nat(9),
  kernel: maybe(fc.constant("k")),
  ramdisk: maybe(fc.constant("r")),
  source: maybe(fc.constant("deploy")),
  url_mode: fc.constantFrom("swift", "artifacts"),
  expires_at: maybe(fc.nat()),
  reason: maybe(fc.string({ maxLength: 1200 })),
}) as fc.Arbitrary<BootLogFields>;

describe("bootRecordOf", () => {
  it("builds the same record as the reference, keys in the same order (property)", () => {
    fc.assert(
      fc.property(
        fieldsArb,
        maybe(fc.string({ maxLength: 150 })),
        fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }),
        (f, client, at) => {
          const got = bootRecordOf(f, at, client);
          const want = referenceBootRecordOf(f, at, client);
          assert.deepEqual(got, want);
          assert.deepEqual(Object.keys(got ?? {}), Object.keys(want ?? {}));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("makes records the store's schema accepts", () => {
    const record = bootRecordOf(
      {
        outcome: "boot",
        node: "n1",
        state: "deploying",
        attempt: 0,
        url_mode: "artifacts",
        reason: "x".repeat(2000),
      },
      new Date(0),
      "c".repeat(300),
    );
    expect(bootRecordSchema.safeParse(record).success).toBe(true);
  });
});
