/**
 * generateTempUrl and its helpers against Debian's python3-swiftclient, byte for byte, on
 * generated inputs. One python process answers every case (test/support/python-tempurl.py reads
 * JSON lines on stdin). Needs /usr/bin/python3 with python3-swiftclient: missing, the tests fail.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type GenerateTempUrlOptions,
  generateTempUrl,
  isValidIpRange,
  parseTimestamp,
  splitStorageUrl,
  type TempUrlDigest,
  TempUrlError,
  toUrlPath,
} from "../../shared/tempurl/index.ts";

const PYTHON = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("../support/python-tempurl.py", import.meta.url));
const INSTALL_HINT = "python3-swiftclient is required: apt-get install python3-swiftclient";

type Answer = { ok?: unknown; error?: string; fatal?: string };
type Request = { op: string } & Record<string, unknown>;

/** Runs every request through one python process. */
function askPython(requests: Request[], env: Record<string, string> = {}): Answer[] {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found; ${INSTALL_HINT}`);
  const run = spawnSync(PYTHON, [HELPER], {
    input: `${requests.map((r) => JSON.stringify(r)).join("\n")}\n`,
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
  });
  const lines = (run.stdout ?? "").split("\n").filter((l) => l !== "");
  const first = lines[0] === undefined ? undefined : (JSON.parse(lines[0]) as Answer);
  if (first?.fatal !== undefined) throw new Error(`${INSTALL_HINT} (${first.fatal})`);
  if (run.status !== 0) {
    throw new Error(`python helper failed (${run.status}): ${run.stderr} ${String(run.error)}`);
  }
  if (lines.length !== requests.length) {
    throw new Error(`python answered ${lines.length} of ${requests.length} requests`);
  }
  return lines.map((l) => JSON.parse(l) as Answer);
}

/** Python's message for a ValueError, as our TempUrlError carries it. */
const valueError = (a: Answer): string | undefined => a.error?.replace(/^ValueError: /, "");

function ours(f: () => unknown): Answer {
  try {
    return { ok: f() };
  } catch (error) {
    if (!(error instanceof TempUrlError)) throw error;
    return { error: error.message };
  }
}

// ---- generated inputs -------------------------------------------------------------------------

const CHARS = [..."abcXYZ019-_.~ +%?#&=;:@!$'(),", "ü", "é", "€", "日本", "🚀", "%20", "%2B"];
const text = (min: number, max: number, extra: string[] = []) =>
  fc
    .array(fc.constantFrom(...CHARS, ...extra), { minLength: min, maxLength: max })
    .map((a) => a.join(""));
const segment = text(1, 6);
const objectName = text(1, 12, ["/", "a/b"]).filter((o) => o.replaceAll("/", "") !== "");
const prefixName = text(0, 8, ["/"]);

const VALID_RANGES = [
  "127.0.0.1",
  "10.0.0.0/8",
  "192.168.0.0/16",
  "1.2.3.0/24",
  "1.2.3.0/255.255.255.0",
  "1.2.3.0/0.0.0.255",
  "0.0.0.0/0",
  "::1",
  "2001:db8::/32",
  "2001:DB8:0:0:0:0:0:1",
  "::ffff:10.0.0.0/104",
  "fe80::%eth0/64",
];

const pad2 = (n: number) => String(n).padStart(2, "0");
/** An ISO 8601 time as python-swiftclient reads it, in one of its accepted spellings. */
const isoTime = fc
  .record({
    t: fc.integer({ min: 40_000_000, max: 4_000_000_000 }),
    form: fc.constantFrom("Z", "z-lower", "unpadded", "local", "date"),
  })
  .map(({ t, form }) => {
    const d = new Date(t * 1000);
    const [y, mo, da, h, mi, s] = [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
    ];
    const padded = `${y}-${pad2(mo)}-${pad2(da)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
    switch (form) {
      case "Z":
        return `${padded}Z`;
      case "z-lower":
        return `${padded.replace("T", "t")}z`;
      case "unpadded":
        return `${y}-${mo}-${da}T${h}:${mi}:${s}Z`;
      case "local":
        return padded;
      default:
        return padded.slice(0, 10);
    }
  });

const seconds = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 34 }),
  fc.integer({ min: 0, max: 10 ** 7 }).map(String),
  fc.integer({ min: 0, max: 10 ** 6 }).map((n) => ` ${n}.0 `),
  fc.integer({ min: 1, max: 999 }).map((n) => `${n}_000`),
  fc.integer({ min: 0, max: 9 }).map((n) => `${n}e3`),
  fc
    .tuple(
      fc.integer({ min: 0, max: 500 }),
      fc.constantFrom("s", "m", "min", "h", "hr", "d", ".5m", ".25h"),
    )
    .map(([n, suffix]) => (suffix.startsWith(".") ? `${n}${suffix}` : `${n}${suffix}`)),
  isoTime,
);

const methodCase = fc
  .tuple(fc.constantFrom("GET", "HEAD", "PUT", "POST", "DELETE"), fc.boolean())
  .map(([m, lower]) => (lower ? m.toLowerCase() : m));

interface GenerateCase {
  path: string;
  seconds: number | string;
  key: string;
  method: string;
  options: GenerateTempUrlOptions;
  now: number;
}

const generateCase: fc.Arbitrary<GenerateCase> = fc
  .record({
    account: fc.oneof(fc.constant("AUTH_test"), segment),
    container: segment,
    prefix: fc.boolean(),
    object: objectName,
    prefixName,
    seconds,
    key: fc.string({ minLength: 1, maxLength: 24, unit: "grapheme" }),
    method: methodCase,
    absolute: fc.boolean(),
    iso8601: fc.boolean(),
    ipRange: fc.oneof(fc.constant(undefined), fc.constant(""), fc.constantFrom(...VALID_RANGES)),
    digest: fc.constantFrom<TempUrlDigest>("sha1", "sha256", "sha512"),
    now: fc.double({ min: 1.6e9, max: 1.9e9, noNaN: true }),
  })
  .map((c) => ({
    path: `/v1/${c.account}/${c.container}/${c.prefix ? c.prefixName : c.object}`,
    seconds: c.seconds,
    key: c.key,
    method: c.method,
    options: {
      absolute: c.absolute,
      prefix: c.prefix,
      iso8601: c.iso8601,
      ipRange: c.ipRange,
      digest: c.digest,
    },
    now: c.now,
  }));

/** Inputs both reject, with python-swiftclient's message. */
const REJECTED: GenerateCase[] = [
  ...["1.5", "abc", "-1", "2017-02-30", "1e400", "5H", "nan", "0x10", ""].map((s) => ({
    path: "/v1/a/c/o",
    seconds: s,
    key: "k",
    method: "GET",
    options: {},
    now: 1.7e9,
  })),
  ...["5m", "1h"].map((s) => ({
    path: "/v1/a/c/o",
    seconds: s,
    key: "k",
    method: "GET",
    options: { absolute: true },
    now: 1.7e9,
  })),
  ...["/v1/a/c", "/v1/a/c/", "v1/a/c/o", "/v1//c/o", "/v1/a//o", ""].map((path) => ({
    path,
    seconds: 60,
    key: "k",
    method: "GET",
    options: {},
    now: 1.7e9,
  })),
  ...["/v1/a/c", "/v1/a", "/v1//c/"].map((path) => ({
    path,
    seconds: 60,
    key: "k",
    method: "GET",
    options: { prefix: true },
    now: 1.7e9,
  })),
  {
    path: "/v1/a/c/o",
    seconds: 60,
    key: "k",
    method: "GET",
    options: { digest: "md5" as TempUrlDigest },
    now: 1.7e9,
  },
];

/** Inputs Python signs but we refuse, because Swift would answer 401 (or the value is absurd). */
const STRICTER: GenerateCase[] = [
  { path: "/v1/a/c/o", seconds: 60, key: "k", method: "PATCH", options: {}, now: 1.7e9 },
  { path: "/v1/a/c/o", seconds: 60, key: "", method: "GET", options: {}, now: 1.7e9 },
  { path: "/v2/a/c/o", seconds: 60, key: "k", method: "GET", options: {}, now: 1.7e9 },
  { path: "/v1/a/c//", seconds: 60, key: "k", method: "GET", options: {}, now: 1.7e9 },
  { path: "/v1/a/c/o", seconds: "-5m", key: "k", method: "GET", options: {}, now: 1.7e9 },
  {
    path: "/v1/a/c/o",
    seconds: "1960-01-01T00:00:00Z",
    key: "k",
    method: "GET",
    options: {},
    now: 1.7e9,
  },
  {
    path: "/v1/a/c/o",
    seconds: "1e17",
    key: "k",
    method: "GET",
    options: { absolute: true },
    now: 1.7e9,
  },
  ...["1.2.3.4/24", "1.2.3", "01.2.3.4", "::1/129"].map((ipRange) => ({
    path: "/v1/a/c/o",
    seconds: 60,
    key: "k",
    method: "GET",
    options: { ipRange },
    now: 1.7e9,
  })),
];

const toRequest = (c: GenerateCase): Request => ({
  op: "generate",
  path: c.path,
  seconds: c.seconds,
  key: c.key,
  method: c.method,
  absolute: c.options.absolute ?? false,
  prefix: c.options.prefix ?? false,
  iso8601: c.options.iso8601 ?? false,
  ip_range: c.options.ipRange ?? null,
  digest: c.options.digest ?? "sha256",
  now: c.now,
});

const runOurs = (c: GenerateCase): Answer =>
  ours(() => generateTempUrl(c.path, c.seconds, c.key, c.method, c.options, c.now));

// Strings that stress python's float(), strptime and the suffix rules.
const TIME_TOKENS = [
  ..."0123456789 _.eE+-smhrdTtZz:",
  "in",
  "inf",
  "nan",
  "2017-",
  "01-",
  "05",
  "٣",
  "１",
  "\u3000",
  "\x1c",
];
const timeText = fc
  .array(fc.constantFrom(...TIME_TOKENS), { minLength: 0, maxLength: 8 })
  .map((a) => a.join(""));

const IP_TOKENS = [
  ..."0123456789abcdefABCDEF:./%",
  "::",
  "1.2.3.4",
  "255",
  "256",
  "00",
  "/24",
  "/128",
  "/255.255.255.0",
  "%eth0",
  "ffff",
  " ",
  "٣",
];
const ipText = fc
  .array(fc.constantFrom(...IP_TOKENS), { minLength: 1, maxLength: 10 })
  .map((a) => a.join(""));

const URL_TOKENS = [
  ..."/:;?#@[]. \t\nAaZz09+-",
  "http",
  "HTTPS",
  "//",
  "v1/a/c/o",
  "svn+ssh",
  "\x01",
  "%20",
];
const urlText = fc
  .array(fc.constantFrom(...URL_TOKENS), { minLength: 0, maxLength: 12 })
  .map((a) => a.join(""));

const GENERATED = fc.sample(generateCase, { numRuns: 1500, seed: 20260101 });
const TIMES = fc.sample(fc.tuple(timeText, fc.boolean()), { numRuns: 1500, seed: 7 });
const IPS = [
  ...fc.sample(ipText, { numRuns: 1500, seed: 11 }),
  ...VALID_RANGES,
  "1.2.3.4/24",
  "2001:db8::1/32",
];
const QUOTES = fc.sample(fc.string({ maxLength: 30, unit: "grapheme" }), {
  numRuns: 500,
  seed: 13,
});
const URLS = fc.sample(urlText, { numRuns: 800, seed: 17 });

// ---- one python run for everything --------------------------------------------------------------

// Local-time ISO forms depend on the zone: python gets the one this process resolves.
const zone = process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
interface Answers {
  generated: Answer[];
  rejected: Answer[];
  stricter: Answer[];
  times: Answer[];
  ips: Answer[];
  quotes: Answer[];
  urls: Answer[];
}
let pythonRun: { answers: Answers } | { failure: unknown } | undefined;

/** Python's answers, asked once; every test fails (none is skipped) if python cannot answer. */
function python(): Answers {
  if (pythonRun === undefined) {
    try {
      pythonRun = { answers: askAll() };
    } catch (failure) {
      pythonRun = { failure };
    }
  }
  if ("failure" in pythonRun) throw pythonRun.failure;
  return pythonRun.answers;
}

function askAll(): Answers {
  const sections = {
    generated: GENERATED.map(toRequest),
    rejected: REJECTED.map(toRequest),
    stricter: STRICTER.map(toRequest),
    times: TIMES.map(([s, absolute]) => ({ op: "timestamp", seconds: s, absolute })),
    ips: IPS.map((value) => ({ op: "ip", value })),
    quotes: QUOTES.map((value) => ({ op: "quote", value })),
    urls: URLS.map((value) => ({ op: "urlparse", value })),
  };
  const all = askPython(Object.values(sections).flat(), { TZ: zone });
  let at = 0;
  const take = (n: number): Answer[] => {
    at += n;
    return all.slice(at - n, at);
  };
  return {
    generated: take(sections.generated.length),
    rejected: take(sections.rejected.length),
    stricter: take(sections.stricter.length),
    times: take(sections.times.length),
    ips: take(sections.ips.length),
    quotes: take(sections.quotes.length),
    urls: take(sections.urls.length),
  };
}

describe("generateTempUrl vs python-swiftclient generate_temp_url", () => {
  it(`matches byte for byte on ${GENERATED.length} generated inputs`, () => {
    const answers = python();
    let signed = 0;
    for (const [i, c] of GENERATED.entries()) {
      const theirs = answers.generated[i] as Answer;
      const mine = runOurs(c);
      const expected = theirs.error === undefined ? theirs : { error: valueError(theirs) };
      expect(mine, JSON.stringify(c)).toEqual(expected);
      if (theirs.ok !== undefined) signed++;
    }
    // Most inputs are valid; the rest are suffixed times with absolute, which both reject.
    expect(signed).toBeGreaterThan(GENERATED.length * 0.9);
  });

  it("covers every digest, prefix, ip ranges, iso8601, absolute and relative, odd characters", () => {
    const answers = python();
    const ok = GENERATED.filter((_, i) => answers.generated[i]?.ok !== undefined);
    for (const d of ["sha1", "sha256", "sha512"]) {
      expect(ok.some((c) => c.options.digest === d)).toBe(true);
    }
    expect(ok.filter((c) => c.options.prefix).length).toBeGreaterThan(100);
    expect(ok.filter((c) => c.options.ipRange).length).toBeGreaterThan(100);
    expect(ok.filter((c) => c.options.iso8601).length).toBeGreaterThan(100);
    expect(ok.filter((c) => c.options.absolute).length).toBeGreaterThan(100);
    expect(
      ok.filter((c) => !c.options.absolute && typeof c.seconds === "number").length,
    ).toBeGreaterThan(50);
    for (const ch of [" ", "+", "%", "/", "ü", "🚀", "?", "#"]) {
      expect(ok.filter((c) => c.path.slice(4).includes(ch)).length, ch).toBeGreaterThan(20);
    }
  });

  it("rejects what python rejects, with python's message", () => {
    const answers = python();
    for (const [i, c] of REJECTED.entries()) {
      const theirs = answers.rejected[i] as Answer;
      expect(theirs.error, JSON.stringify(c)).toMatch(/^ValueError: /);
      expect(runOurs(c), JSON.stringify(c)).toEqual({ error: valueError(theirs) });
    }
  });

  it("refuses what python signs but Swift would refuse (documented divergences)", () => {
    const answers = python();
    for (const [i, c] of STRICTER.entries()) {
      expect(answers.stricter[i]?.ok, JSON.stringify(c)).toEqual(expect.any(String));
      expect(runOurs(c).error, JSON.stringify(c)).toEqual(expect.any(String));
    }
  });
});

describe("helpers vs their python originals", () => {
  it(`parseTimestamp agrees with parse_timestamp on ${TIMES.length} odd strings`, () => {
    const answers = python();
    let parsed = 0;
    for (const [i, [s, absolute]] of TIMES.entries()) {
      const theirs = answers.times[i] as Answer;
      const mine = parseTimestamp(s, absolute);
      const label = JSON.stringify([s, absolute, theirs]);
      if (theirs.error !== undefined) {
        expect(mine, label).toBeUndefined();
      } else {
        parsed++;
        expect(mine === undefined ? undefined : [mine.timestamp, mine.absolute], label).toEqual(
          theirs.ok,
        );
      }
    }
    expect(parsed).toBeGreaterThan(100);
  });

  it(`isValidIpRange agrees with ipaddress.ip_network on ${IPS.length} strings`, () => {
    const answers = python();
    let valid = 0;
    for (const [i, value] of IPS.entries()) {
      const theirs = answers.ips[i]?.ok;
      expect(isValidIpRange(value), JSON.stringify(value)).toBe(theirs);
      if (theirs === true) valid++;
    }
    expect(valid).toBeGreaterThan(50);
  });

  it(`toUrlPath agrees with urllib.parse.quote on ${QUOTES.length} strings`, () => {
    const answers = python();
    for (const [i, value] of QUOTES.entries()) {
      expect(toUrlPath(value), JSON.stringify(value)).toBe(answers.quotes[i]?.ok);
    }
  });

  it(`splitStorageUrl agrees with urllib.parse.urlparse on ${URLS.length} strings`, () => {
    const answers = python();
    for (const [i, value] of URLS.entries()) {
      const theirs = answers.urls[i] as Answer;
      const label = JSON.stringify([value, theirs]);
      if (theirs.error !== undefined) {
        expect(() => splitStorageUrl(value), label).toThrow();
        continue;
      }
      const [scheme, netloc, path] = theirs.ok as [string, string, string];
      expect(splitStorageUrl(value), label).toEqual({
        origin: scheme !== "" && netloc !== "" ? `${scheme}://${netloc}` : "",
        path,
      });
    }
  });
});
