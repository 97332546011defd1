import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { reportTestApp } from "../../test/support/callback/report-app.ts";
import { nextState } from "../model/transitions.ts";
import { REPORTING_STATES } from "./kernel-arg.ts";

/**
 * Whatever a machine (or anyone holding a URL) posts: never a 5xx, and nothing changes unless
 * the answer is an applied report, which moves the node exactly as the state machine says.
 */
const RUNS = { numRuns: Math.min(Number(process.env.PROPERTY_RUNS ?? 300), 300) };

const statusWord = fc.constantFrom("done", "fail", "DONE", "", "manage", "ok", "done ");
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\u0000", "\u001b[31m", "x".repeat(1100), "é".repeat(600), "{}", "[]", "null"),
);
const inventory = fc.oneof(
  fc.record(
    {
      macs: fc.array(fc.oneof(fc.constantFrom("52:54:00:12:34:56", "02-00-00-00-00-07"), text), {
        maxLength: 3,
      }),
      memory_mib: fc.oneof(fc.integer({ min: -5, max: 2 ** 31 }), fc.double()),
      cpu: fc.record(
        { count: fc.integer({ min: -1, max: 70_000 }), model: text },
        { requiredKeys: [] },
      ),
      disks: fc.array(fc.record({ name: text, size_bytes: fc.nat() }, { requiredKeys: [] }), {
        maxLength: 2,
      }),
      extra: text,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
const jsonBody = fc
  .record(
    {
      status: fc.oneof(statusWord, fc.jsonValue()),
      message: fc.oneof(text, fc.jsonValue()),
      inventory,
      state: text,
    },
    { requiredKeys: [] },
  )
  .map((b) => JSON.stringify(b));
const formBody = fc
  .array(
    fc.tuple(
      fc.constantFrom("status", "message", "inventory", "state", "x"),
      fc.oneof(statusWord, text),
    ),
    {
      maxLength: 4,
    },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());
const validBody = fc.oneof(
  fc.record({
    type: fc.constant("application/x-www-form-urlencoded"),
    text: fc
      .tuple(fc.constantFrom("done", "fail"), fc.string({ maxLength: 30 }))
      .map(([status, message]) => new URLSearchParams({ status, message }).toString()),
  }),
  fc.record({
    type: fc.constant("application/json"),
    text: fc
      .tuple(fc.constantFrom("done", "fail"), fc.nat({ max: 1 << 20 }))
      .map(([status, memory]) => JSON.stringify({ status, inventory: { memory_mib: memory } })),
  }),
);
const body = fc.oneof(
  validBody,
  fc.record({ type: fc.constant("application/json"), text: jsonBody }),
  fc.record({
    type: fc.constantFrom("application/x-www-form-urlencoded", "text/plain"),
    text: formBody,
  }),
  fc.record({
    type: fc.constantFrom(
      "application/json",
      "application/x-www-form-urlencoded",
      "image/png",
      "",
      "a/b; c=d",
    ),
    text: fc.oneof(text, fc.string({ unit: "binary", maxLength: 200 })),
  }),
);

describe("callback reports (properties)", () => {
  it("never answer 5xx, and change nothing unless they apply the state machine's move", async () => {
    const t = await reportTestApp();
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REPORTING_STATES),
        fc.constantFrom("current", "stale", "tampered"),
        body,
        async (state, which, { type, text: payload }) => {
          await t.store.deleteNode("node-1");
          await t.putNode({ state });
          let url = (await t.callbackUrl()) as string;
          if (which === "stale") {
            // The node moves on (an operator's fail, then back through manage/inspect).
            await t.call("POST", "/v1/nodes/node-1/actions/fail");
          } else if (which === "tampered") {
            url = url.replace(/\/[0-9a-f]{16}\//, "/ffffffffffffffff/");
          }
          const before = await t.store.getNodeVersioned("node-1");
          const res = await t.report(url, payload, type === "" ? null : type);
          assert.ok(res.status < 500, `${res.status} ${res.text}`);
          const after = await t.store.getNodeVersioned("node-1");
          if (res.status === 200 && res.json.result === "applied") {
            applied++;
            assert.equal(which, "current");
            const status = res.json.status as "done" | "fail";
            assert.equal(after?.record.state, nextState(state, status));
            assert.equal(after?.record.last_report?.status, status);
          } else {
            assert.deepEqual(after, before, `${res.status} ${res.text}`);
          }
        },
      ),
      RUNS,
    );
    assert.ok(applied > 0, "no run applied a report: the property says nothing");
  }, 60_000);
});
