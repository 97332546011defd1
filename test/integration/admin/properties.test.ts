import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVISION_ACTIONS } from "../../../shared/model/transitions.ts";
import { type AdminFixture, image, nodeBody, startAdmin } from "./helpers.ts";

/**
 * Random requests against the live app: whatever arrives, the answer is never a 5xx, and a
 * refused write leaves the stored record exactly as it was (body and ETag).
 */

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-props");
  for (const id of ["k", "r"]) await t.store.putImage(image(id));
  await t.call("PUT", "/v1/nodes/target", {
    body: nodeBody("target", "52:54:00:88:00:01", {
      uuid: "88888888-0000-0000-0000-000000000001",
      deploy: { kernel: "k", ramdisk: "r" },
    }),
  });
  // Holds a MAC and UUID that random payloads may try to take.
  await t.call("PUT", "/v1/nodes/other", {
    body: nodeBody("other", "52:54:00:88:00:02", { uuid: "88888888-0000-0000-0000-000000000002" }),
  });
});
afterAll(() => t?.close());

const snapshot = async (path: string) => {
  const res = await t.call("GET", path);
  return { status: res.status, etag: res.headers.get("etag"), body: res.text };
};

/** JSON-ish values, from garbage to almost-valid. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    "",
    "52:54:00:88:00:02",
    "88888888-0000-0000-0000-000000000002",
    "k",
    "${x}",
    "a\nb",
    "x".repeat(5000),
  ),
  fc.integer(),
  fc.constant(null),
);

const macLike = fc.oneof(
  fc.constantFrom("52:54:00:88:00:01", "52:54:00:88:00:02", "52-54-00-88-00-03", "zz", ""),
  fc.string({ maxLength: 20 }),
);

const nodeFields = fc.record(
  {
    id: fc.oneof(fc.constant("target"), fc.string({ maxLength: 10 })),
    name: fc.oneof(fc.string({ maxLength: 30 }), junk),
    macs: fc.oneof(fc.array(macLike, { maxLength: 4 }), junk),
    uuid: fc.oneof(fc.constantFrom("88888888-0000-0000-0000-000000000002", "nope"), junk),
    state: fc.oneof(fc.constantFrom("enroll", "active", "deploying", "bogus"), junk),
    deploy: fc.oneof(
      fc.record({ kernel: fc.constantFrom("k", "ghost"), ramdisk: fc.constantFrom("r", "") }),
      junk,
    ),
    instance: fc.oneof(fc.record({ boot: fc.constantFrom("netboot", "local", "usb") }), junk),
    kernel_args: fc.oneof(fc.constantFrom("a=1", "${evil}", "x\ny", "a".repeat(5000)), junk),
    arch_images: fc.oneof(fc.dictionary(fc.constantFrom("x86_64", "arm64", "sparc"), junk), junk),
    extra: junk,
  },
  { requiredKeys: [] },
);

const ifMatch = fc.option(fc.constantFrom('"1"', '"999"', "*", "garbage", 'W/"1"'), {
  nil: undefined,
});

const bodyOf = fc.oneof(
  {
    weight: 4,
    arbitrary: nodeFields.map((f) => ({ ...nodeBody("target", "52:54:00:88:00:01"), ...f })),
  },
  { weight: 2, arbitrary: nodeFields },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((s) => ({ raw: `{${s}` })) },
);

const send = (method: string, path: string, body: unknown, match: string | undefined) => {
  const raw =
    typeof body === "object" && body !== null && "raw" in body
      ? String((body as { raw: unknown }).raw)
      : undefined;
  return t.call(method, path, {
    body: raw ?? (body === undefined ? "null" : JSON.stringify(body)),
    headers: match === undefined ? {} : { "if-match": match },
  });
};

describe("random payloads against the live app", () => {
  it("PUT and PATCH /v1/nodes/target: never 5xx; a refusal changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("PUT", "PATCH"),
        bodyOf,
        ifMatch,
        async (method, body, match) => {
          const before = await snapshot("/v1/nodes/target");
          const res = await send(method, "/v1/nodes/target", body, match);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get("content-type")).toBe("application/problem+json");
            expect(await snapshot("/v1/nodes/target")).toEqual(before);
          }
          const other = await t.store.findNodeByMac("52:54:00:88:00:02");
          expect(other?.id).toBe("other");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("POST /v1/nodes/target/actions/{action}: never 5xx; a refusal changes nothing", async () => {
    const action = fc.oneof(fc.constantFrom(...PROVISION_ACTIONS), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(action, ifMatch, async (name, match) => {
        const before = await snapshot("/v1/nodes/target");
        const res = await t.call("POST", `/v1/nodes/target/actions/${encodeURIComponent(name)}`, {
          headers: match === undefined ? {} : { "if-match": match },
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(await snapshot("/v1/nodes/target")).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it("PUT /v1/images/k: never 5xx; a refusal changes nothing", async () => {
    const imageBody = fc.oneof(
      fc
        .record(
          {
            id: fc.oneof(fc.constant("k"), fc.string({ maxLength: 5 })),
            name: junk,
            swift: fc.oneof(
              fc.record({ object: fc.oneof(fc.string({ maxLength: 20 }), junk) }),
              junk,
            ),
            origin: fc.oneof(fc.constantFrom("http://x/y", "ftp://x"), junk),
            size: fc.oneof(fc.integer(), fc.double(), junk),
            sha256: fc.oneof(fc.string({ maxLength: 64 }), junk),
          },
          { requiredKeys: [] },
        )
        .map((f) => ({ ...image("k"), ...f })),
      junk,
    );
    await fc.assert(
      fc.asyncProperty(imageBody, ifMatch, async (body, match) => {
        const before = await snapshot("/v1/images/k");
        const res = await send("PUT", "/v1/images/k", body, match);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(await snapshot("/v1/images/k")).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it("random query strings on the listings: never 5xx", async () => {
    const query = fc.dictionary(
      fc.constantFrom("limit", "cursor", "state", "mac", "uuid", "x"),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.integer().map(String),
        fc.constantFrom("active", "1000", "0"),
      ),
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.constantFrom("/v1/nodes", "/v1/images", "/v1/nodes/target/boots"),
        async (q, path) => {
          const res = await t.call("GET", `${path}?${new URLSearchParams(q)}`);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});
