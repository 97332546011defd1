// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is iPXE syntax
import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { cacheConfig, NOW, swiftConfig } from "../../test/support/boot/fixtures.ts";
import { parsedCommands, scriptProblems } from "../../test/support/ipxe/check.ts";
import { isBindable, REPORTING_STATES } from "../callback/kernel-arg.ts";
import { callbackSettings } from "../callback/settings.ts";
import { verifyCallbackPath } from "../callback/url.ts";
import type { Config } from "../config/index.ts";
import { echoWords } from "../ipxe/echo-text.ts";
import { ARCHES, type Image, type Node, PROVISION_STATES } from "../model/index.ts";
import {
  baseUrlFromRequest,
  buildFirstStageScript,
  buildNodeScript,
  InvalidBaseUrlError,
  parseBootIdentity,
} from "./index.ts";

/**
 * Properties over hostile inputs: whatever the node record, images, request and Host header hold,
 * a rendered script starts with #!ipxe, runs only the commands swiftboot writes, expands only the
 * settings it means to, has no operator it did not place, and passes kernel arguments through
 * exactly (or refuses to boot). Plain asserts: vitest's expect is slow at thousands of calls.
 */
const RUNS = {
  numRuns: Number(process.env.PROPERTY_RUNS ?? 2000),
  endOnFailure: !!process.env.NO_SHRINK,
};

/** Strings built to break scripts: operators, comments, expansions, continuations, whitespace. */
const HOSTILE = [
  "${",
  "}",
  "${net0/ip}",
  "$",
  "{",
  "||",
  "&&",
  ";",
  "#",
  "\\",
  "-n",
  "--",
  " ",
  "\t",
  "\n",
  "\r",
  "\u00a0",
  "\u2028",
  "é",
  "東",
  "😀",
  "%2B",
  "%26",
  "&",
  "?",
  "=",
  "/",
  ":",
  "shell",
  "reboot",
  "goto",
  "a",
  "Z9",
];
const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: "binary", maxLength: 4 })), {
    maxLength: 12,
  })
  .map((parts) => parts.join(""));
const anyText = fc.oneof(hostileText, fc.string({ unit: "binary", maxLength: 40 }));
const nonEmptyText = anyText.map((s) => (s === "" ? "x" : s));

const safeId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/);
const hex2 = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, "0"));
const validMac = fc
  .tuple(fc.array(hex2, { minLength: 6, maxLength: 6 }), fc.constantFrom(":", "-", ""))
  .map(([bytes, sep]) => bytes.join(sep));
const validUuid = fc.uuid();

/** Kernel arguments that pass the schema's check and ones that do not. */
const kernelArgs = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.stringMatching(/^[A-Za-z0-9_.,:=/+-]{1,12}$/), { maxLength: 6 })
      .map((a) => a.join(" ")),
  },
  { weight: 1, arbitrary: anyText },
);

const imageArb = (id: string): fc.Arbitrary<Image> =>
  fc.record(
    {
      id: fc.constant(id),
      name: nonEmptyText,
      swift: fc.record(
        { container: nonEmptyText, object: nonEmptyText },
        { requiredKeys: ["object"] },
      ),
      origin: fc.constantFrom("http://origin.example/a b", "http://origin.example/k"),
      size: fc.nat(),
      sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    },
    { requiredKeys: ["id", "name", "swift"] },
  );

/**
 * Image ids come from a small pool, so nodes usually find their images; a pool entry may have no
 * image (a dangling reference), and some ids are hostile text (a corrupted record).
 */
const ID_POOL = ["k1", "r1", "k2", "r2", "os:k", "os:r", "bad id", "x${y}"];
const imageId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ID_POOL) },
  { weight: 1, arbitrary: nonEmptyText },
);
const imagesArb = fc
  .tuple(...ID_POOL.map((id) => fc.option(imageArb(id), { freq: 8 })))
  .map((images) => new Map(images.flatMap((i) => (i ? [[i.id, i] as const] : []))));

const pair = fc.record({ kernel: imageId, ramdisk: imageId });

const nodeArb: fc.Arbitrary<Node> = fc.record(
  {
    id: fc.oneof(safeId, nonEmptyText),
    name: nonEmptyText,
    macs: fc.constant(["52:54:00:12:34:56"]),
    // Mostly states that boot, so most runs render a full boot script.
    state: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          "deploying",
          "cleaning",
          "inspecting",
          "rescuing",
          "rescue",
          "active",
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom(...PROVISION_STATES) },
    ),
    deploy: pair,
    rescue: pair,
    instance: fc.record(
      {
        kernel: imageId,
        ramdisk: imageId,
        boot: fc.constantFrom("netboot" as const, "local" as const),
      },
      { requiredKeys: ["boot"] },
    ),
    kernel_args: kernelArgs,
    arch_images: fc.dictionary(
      fc.constantFrom(...ARCHES),
      fc.record({ deploy: pair, rescue: pair }, { requiredKeys: [] }),
      { maxKeys: 2 },
    ),
    // Mostly what the store draws; sometimes a corrupted record's text.
    state_id: fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[0-9a-f]{16}$/) },
      { weight: 1, arbitrary: anyText },
    ),
  },
  { requiredKeys: ["id", "name", "macs", "state"] },
) as fc.Arbitrary<Node>;

const nodeAndImages = fc.record({
  node: fc.option(nodeArb, { freq: 10, nil: undefined }),
  images: imagesArb,
});

const query = fc.record(
  {
    uuid: fc.oneof(validUuid, anyText),
    arch: fc.oneof(fc.constantFrom(...ARCHES), anyText),
    platform: fc.oneof(fc.constantFrom("efi", "pcbios"), anyText),
    attempt: fc.oneof(fc.nat({ max: 6 }).map(String), anyText),
  },
  { requiredKeys: [] },
);
const requestArb = fc
  .tuple(fc.oneof(validMac, anyText), query)
  .map(([mac, q]) =>
    parseBootIdentity(`${mac}.ipxe`, new URLSearchParams(q as Record<string, string>)),
  );

const CONFIGS: Config[] = [
  swiftConfig(),
  swiftConfig({
    ipxe: { retries: 0, fail_action: "shell", timeout_ms: 1000 },
    swift: { temp_url_digest: "sha512" },
  }),
  swiftConfig({ swift: { temp_url_bind_ip: true, container: "" } }),
  cacheConfig(),
  cacheConfig({ ipxe: { retries: 7, fail_action: "reboot", timeout_ms: 60000 } }),
];

/** Host headers: mostly hostile; baseUrlFromRequest must refuse them or return something safe. */
const hostHeader = fc.oneof(
  fc.constantFrom("boot.example", "boot.example:8080", "10.0.2.2:8080", "[fd00::1]:80"),
  anyText,
);

function baseUrlOrUndefined(config: Config, host: string): string | undefined {
  try {
    return baseUrlFromRequest(config, `http://${host}/boot.ipxe`);
  } catch (error) {
    if (error instanceof InvalidBaseUrlError || error instanceof TypeError) return undefined;
    throw error;
  }
}

describe("every rendered script is safe (properties)", () => {
  it("per-node scripts", () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(
        nodeAndImages,
        requestArb,
        fc.constantFrom(...CONFIGS),
        hostHeader,
        fc.option(fc.oneof(fc.constantFrom("10.0.2.15", "::ffff:10.0.2.15", "fd00::1"), anyText)),
        ({ node, images }, request, config, host, clientIp) => {
          const baseUrl = baseUrlOrUndefined(config, host) ?? "http://boot.example";
          const result = buildNodeScript({
            node,
            images,
            request,
            config,
            now: NOW,
            baseUrl,
            clientIp: clientIp ?? undefined,
          });
          // With a valid MAC in the path, swiftboot needs no expansion at all; without one, only
          // `${mac:hexhyp}`, in BOOTIF and in the re-chain URL.
          const expansions =
            request.mac === undefined
              ? [
                  { setting: "mac:hexhyp", command: "kernel" },
                  { setting: "mac:hexhyp", command: "chain" },
                ]
              : [];
          const problems = scriptProblems(result.script, { expansions });
          assert.deepEqual(problems, [], result.script);

          outcomes.set(result.plan.kind, (outcomes.get(result.plan.kind) ?? 0) + 1);
          const commands = parsedCommands(result.script);
          if (result.plan.kind === "boot") {
            // The kernel line carries exactly the planned arguments, in order, after initrd=.
            const kernel = commands.find((c) => c.name === "kernel");
            assert.ok(kernel);
            const at = kernel.args.indexOf("initrd=ramdisk");
            const planned = result.plan.kernelArgs.map((a) => (typeof a === "string" ? a : a.text));
            assert.deepEqual(kernel.args.slice(at + 1), planned);
            assert.equal(commands.filter((c) => c.name === "boot").length, 1);
            // A reporting state's boot carries one callback URL, bound to this node and stay.
            const callbacks = kernel.args.filter((a) => a.startsWith("swiftboot.callback="));
            const { node: booted } = result.plan;
            const keys = callbackSettings(config).keys;
            if (
              keys !== undefined &&
              result.plan.purpose !== "instance" &&
              REPORTING_STATES.includes(booted.state) &&
              booted.state_id !== undefined &&
              isBindable(booted.id, booted.state_id)
            ) {
              assert.equal(callbacks.length, 1, kernel.args.join(" "));
              const url = new URL((callbacks[0] as string).slice("swiftboot.callback=".length));
              const check = verifyCallbackPath(url.pathname, keys, NOW);
              assert.ok(check.ok, JSON.stringify(check));
              assert.deepEqual(check.subject, {
                kind: "node",
                nodeId: booted.id,
                state: booted.state,
                stateId: booted.state_id,
              });
            } else {
              assert.equal(callbacks.length, 0, kernel.args.join(" "));
            }
          } else {
            // Nothing downloads, nothing boots: a message, then exit (local) or the fail action.
            for (const c of commands)
              assert.ok(["echo", "exit", "reboot", "shell"].includes(c.name), c.name);
          }
        },
      ),
      RUNS,
    );
    // The inputs must reach every kind of script often enough for the property to mean something.
    const runs = RUNS.numRuns;
    if (process.env.PROPERTY_STATS) console.log(Object.fromEntries(outcomes));
    for (const kind of ["boot", "local", "refuse", "unknown", "error"]) {
      assert.ok(
        (outcomes.get(kind) ?? 0) >= runs / 50,
        `${kind}: ${outcomes.get(kind) ?? 0} of ${runs}`,
      );
    }
  });

  it("first-stage scripts, for any Host header", () => {
    const expansions = ["mac:hexhyp", "uuid", "buildarch", "platform"].map((setting) => ({
      setting,
      command: "chain",
    }));
    fc.assert(
      fc.property(
        fc.constantFrom(...CONFIGS),
        fc.oneof(
          hostHeader,
          anyText.map((s) => `${s}@x`),
        ),
        (config, host) => {
          const baseUrl = baseUrlOrUndefined(config, host);
          if (baseUrl === undefined) return;
          const script = buildFirstStageScript({ config, baseUrl });
          assert.deepEqual(scriptProblems(script, { expansions }), [], script);
          const chain = parsedCommands(script).find((c) => c.name === "chain");
          assert.ok(chain, script);
          assert.ok(chain.args.at(-1)?.startsWith(`${baseUrl}/boot/\${mac:hexhyp}.ipxe?`));
        },
      ),
      RUNS,
    );
  });

  it("first-stage scripts, for any configured public URL (rendered or refused, never unsafe)", () => {
    const expansions = ["mac:hexhyp", "uuid", "buildarch", "platform"].map((setting) => ({
      setting,
      command: "chain",
    }));
    fc.assert(
      fc.property(fc.constantFrom(...CONFIGS), anyText, (config, text) => {
        const script = buildFirstStageScript({ config, baseUrl: `http://${text}` });
        assert.deepEqual(scriptProblems(script, { expansions }), [], script);
      }),
      RUNS,
    );
  });

  it("request identities never throw and keep only valid values", () => {
    fc.assert(
      fc.property(anyText, query, (mac, q) => {
        const id = parseBootIdentity(mac, new URLSearchParams(q as Record<string, string>));
        if (id.mac !== undefined) assert.match(id.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        if (id.uuid !== undefined) assert.match(id.uuid, /^[0-9a-f-]{36}$/);
        if (id.arch !== undefined) assert.ok((ARCHES as readonly string[]).includes(id.arch));
        assert.ok(Number.isInteger(id.attempt) && id.attempt >= 0 && id.attempt <= 1000);
        // Whatever was refused can still be shown on a console safely.
        for (const p of id.problems)
          for (const w of echoWords(p.value)) assert.ok(!w.includes("${"));
      }),
      RUNS,
    );
  });
});
