import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hmacSync, toHex } from "../crypto/index.ts";
import {
  encodeSignature,
  signTempUrl,
  signTempUrlAsync,
  signTempUrlQuery,
  signTempUrlQueryAsync,
  type TempUrlDigest,
  TempUrlError,
  type TempUrlRequest,
  tempUrlMessage,
  toUrlPath,
} from "./index.ts";

const OBJECT = "/v1/AUTH_account/container/object";

function sigOf(url: string): string {
  const match = /[?&]temp_url_sig=([^&]*)/.exec(url);
  if (match === null) throw new Error(`no temp_url_sig in ${url}`);
  return match[1] as string;
}

function base64UrlToHex(b64: string): string {
  return Buffer.from(b64, "base64url").toString("hex");
}

describe("vectors from Swift's tests and docs (swift-tempurl.md)", () => {
  // `/path` is not an object path, so these check the HMAC message and encoding directly.
  const raw = (digest: TempUrlDigest, path: string, ipRange?: string): string =>
    toHex(hmacSync(digest, "abc", tempUrlMessage("GET", "1", path, false, ipRange)));

  it("key abc, GET, expires 1, /path", () => {
    expect(raw("sha1", "/path")).toBe("b17f6ff8da0e251737aa9e3ee69a881e3e092e2f");
    expect(raw("sha1", "/path", "127.0.0.1")).toBe("b30dde4d2b8562b8496466c3b46b2b9ac5054461");
    expect(raw("sha256", "/path")).toBe(
      "64c5558394f86b042ce1e929b34907abd9d0a57f3e20cd3f93cffd83de0206a7",
    );
    expect(raw("sha512", "/path")).toBe(
      "7e95af818aec1b69b53fc2cb6d69456ec64ebda6c17b8fc8b7303b78acc8ca14fc4aed96c1614a8e9d6ff45a6237711d8be294cda679624825d79aa6959b5229",
    );
  });

  it("key abc, GET, expires 1, /v1/a/c/o", () => {
    const base = { path: "/v1/a/c/o", key: "abc", expires: 1 };
    expect(sigOf(signTempUrl({ ...base, digest: "sha1" }))).toBe(
      "026d7f7cc25256450423c7ad03fc9f5ffc1dab6d",
    );
    const sha512 = sigOf(signTempUrl({ ...base, digest: "sha512" }));
    expect(sha512.startsWith("sha512:")).toBe(true);
    expect(base64UrlToHex(sha512.slice(7))).toBe(
      "240866478d94bbe683ab1d25fba52c7d0df21a609514fe6a493dc30f951d2748abc51da0cbc633cd1e0acf6fadd3af3aedff00ee3d3434dc6a4c423e74adfc4a",
    );
  });

  it("key mykey, sha256, expires 1512508563, rendered as ISO 8601", () => {
    const url = signTempUrl({ path: OBJECT, key: "mykey", expires: 1512508563, iso8601: true });
    expect(url).toBe(
      `${OBJECT}?temp_url_sig=732fcac368abb10c78a4cbe95c3fab7f311584532bf779abd5074e13cbe8b88b&temp_url_expires=2017-12-05T21:16:03Z`,
    );
  });

  it("key mykey, sha512, expires 1516741234: the doc's padded base64 minus its padding", () => {
    const url = signTempUrl({ path: OBJECT, key: "mykey", expires: 1516741234, digest: "sha512" });
    const documented =
      "sha512:ZrSijn0GyDhsv1ltIj9hWUTrbAeE45NcKXyBaz7aPbSMvROQ4jtYH4nRAmm5ErY2X11Yc1Yhy2OMCyN3yueeXg==";
    expect(sigOf(url)).toBe(documented.replace(/=+$/, ""));
    expect(url).toBe(`${OBJECT}?temp_url_sig=${sigOf(url)}&temp_url_expires=1516741234`);
  });

  it("key mykey, sha256, ip ranges, expires 1648082711", () => {
    const base = { path: OBJECT, key: "mykey", expires: 1648082711 };
    expect(signTempUrl({ ...base, ipRange: "1.2.3.4" })).toBe(
      `${OBJECT}?temp_url_sig=3f48476acaf5ec272acd8e99f7b5bad96c52ddba53ed27c60613711774a06f0c&temp_url_expires=1648082711&temp_url_ip_range=1.2.3.4`,
    );
    expect(signTempUrl({ ...base, ipRange: "1.2.3.0/24" })).toBe(
      `${OBJECT}?temp_url_sig=6ff81256b8a3ba11d239da51a703b9c06a56ffddeb8caab74ca83af8f73c9c83&temp_url_expires=1648082711&temp_url_ip_range=1.2.3.0/24`,
    );
  });

  it("key mykey, sha256, prefix pre, expires 1512508563", () => {
    const url = signTempUrl({
      path: "/v1/AUTH_account/container/pre",
      key: "mykey",
      expires: 1512508563,
      prefix: true,
    });
    expect(url).toBe(
      "/v1/AUTH_account/container/pre?temp_url_sig=32f398a48a1a8ca6f2711efcca444100723360239733c6e7b31d868f62f66b47&temp_url_expires=1512508563&temp_url_prefix=pre",
    );
  });
});

describe("signTempUrl", () => {
  const base: TempUrlRequest = { path: "/v1/a/c/o", key: "k", expires: 1 };

  it("defaults to GET and sha256 (python-swiftclient's output for the same inputs)", () => {
    expect(signTempUrl(base)).toBe(
      "/v1/a/c/o?temp_url_sig=1108228414a9c50412b3abb8308627af392cfc205b1c93523f4cc3f6fe27d50a&temp_url_expires=1",
    );
    expect(signTempUrl({ ...base, method: "get", digest: "sha256" })).toBe(signTempUrl(base));
  });

  it("signs HEAD as its own method", () => {
    const head = signTempUrl({ ...base, method: "HEAD" });
    const expected = toHex(hmacSync("sha256", "k", "HEAD\n1\n/v1/a/c/o"));
    expect(sigOf(head)).toBe(expected);
    expect(sigOf(head)).not.toBe(sigOf(signTempUrl(base)));
  });

  it("accepts every method Swift allows, in any case", () => {
    for (const method of ["GET", "head", "Put", "POST", "delete"]) {
      const upper = method.toUpperCase();
      expect(sigOf(signTempUrl({ ...base, method }))).toBe(
        toHex(hmacSync("sha256", "k", `${upper}\n1\n/v1/a/c/o`)),
      );
    }
  });

  it("emits sha512 as sha512: + URL-safe base64 without padding", () => {
    const sig = sigOf(signTempUrl({ ...base, digest: "sha512" }));
    expect(sig).toMatch(/^sha512:[A-Za-z0-9_-]{86}$/);
    expect(base64UrlToHex(sig.slice(7))).toBe(toHex(hmacSync("sha512", "k", "GET\n1\n/v1/a/c/o")));
    expect(encodeSignature("sha512", new Uint8Array([0xfb, 0xff]))).toBe("sha512:-_8");
  });

  it("emits sha1 and sha256 as lower-case hex", () => {
    expect(sigOf(signTempUrl({ ...base, digest: "sha1" }))).toMatch(/^[0-9a-f]{40}$/);
    expect(sigOf(signTempUrl(base))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("puts the ISO 8601 form in the URL but the integer in the HMAC", () => {
    const iso = signTempUrl({ ...base, expires: 1700000000, iso8601: true });
    const plain = signTempUrl({ ...base, expires: 1700000000 });
    expect(iso).toContain("&temp_url_expires=2023-11-14T22:13:20Z");
    expect(sigOf(iso)).toBe(sigOf(plain));
  });

  it("signs prefix URLs over prefix:<path> and names the prefix, possibly empty", () => {
    const url = signTempUrl({ path: "/v1/a/c/images/ipa/", key: "k", expires: 5, prefix: true });
    expect(sigOf(url)).toBe(toHex(hmacSync("sha256", "k", "GET\n5\nprefix:/v1/a/c/images/ipa/")));
    expect(url.endsWith("&temp_url_prefix=images/ipa/")).toBe(true);
    const whole = signTempUrl({ path: "/v1/a/c/", key: "k", expires: 5, prefix: true });
    expect(whole.endsWith("&temp_url_expires=5&temp_url_prefix=")).toBe(true);
  });

  it("orders parameters like python-swiftclient: sig, expires, ip range, prefix", () => {
    const url = signTempUrl({
      path: "/v1/a/c/p",
      key: "k",
      expires: 5,
      prefix: true,
      ipRange: "10.0.0.0/8",
      filename: "deploy kernel+1.bin",
      inline: true,
    });
    const names = url
      .slice(url.indexOf("?") + 1)
      .split("&")
      .map((p) => p.split("=")[0]);
    expect(names).toEqual([
      "temp_url_sig",
      "temp_url_expires",
      "temp_url_ip_range",
      "temp_url_prefix",
      "filename",
      "inline",
    ]);
    expect(url).toContain("&filename=deploy%20kernel%2B1.bin&inline");
  });

  it("treats an empty ip range as none, as Python does", () => {
    expect(signTempUrl({ ...base, ipRange: "" })).toBe(signTempUrl(base));
  });

  it("signs the ip line first: ip=<range>\\n<method>\\n<expires>\\n<path>", () => {
    const url = signTempUrl({ ...base, ipRange: "2001:db8::/32" });
    expect(sigOf(url)).toBe(toHex(hmacSync("sha256", "k", "ip=2001:db8::/32\nGET\n1\n/v1/a/c/o")));
  });

  it("keeps the path as given, unicode and all, like python-swiftclient", () => {
    const path = "/v1/AUTH_t/c/ü dir/a+b%20?.img";
    const url = signTempUrl({ path, key: "k", expires: 1 });
    expect(url.startsWith(`${path}?temp_url_sig=`)).toBe(true);
    expect(sigOf(url)).toBe(toHex(hmacSync("sha256", "k", `GET\n1\n${path}`)));
  });

  it("does not sign filename or inline", () => {
    const plain = sigOf(signTempUrl(base));
    expect(sigOf(signTempUrl({ ...base, filename: "x.iso", inline: true }))).toBe(plain);
  });
});

describe("signTempUrlQuery", () => {
  it("percent-encodes values so Swift decodes what was signed", () => {
    const req: TempUrlRequest = {
      path: "/v1/a/c/ipa images/",
      key: "k",
      expires: 9,
      prefix: true,
      ipRange: "fe80::%eth0/64",
    };
    const query = signTempUrlQuery(req);
    expect(query).toBe(
      `temp_url_sig=${sigOf(signTempUrl(req))}&temp_url_expires=9&temp_url_ip_range=fe80%3A%3A%25eth0/64&temp_url_prefix=ipa%20images/`,
    );
    const params = new URLSearchParams(query);
    expect(params.get("temp_url_prefix")).toBe("ipa images/");
    expect(params.get("temp_url_ip_range")).toBe("fe80::%eth0/64");
  });

  it("composes with toUrlPath into a URL whose decoded parts are the signed ones", () => {
    const req: TempUrlRequest = { path: "/v1/a/c/ä #1?.img", key: "k", expires: 9 };
    const href = `${toUrlPath(req.path)}?${signTempUrlQuery(req)}`;
    const url = new URL(href, "http://swift.example");
    expect(decodeURIComponent(url.pathname)).toBe(req.path);
    expect(url.searchParams.get("temp_url_sig")).toBe(sigOf(signTempUrl(req)));
  });
});

describe("validation", () => {
  const base: TempUrlRequest = { path: "/v1/a/c/o", key: "secret-key-value", expires: 1 };
  const rejects = (req: TempUrlRequest, field: string, message: RegExp): void => {
    let caught: unknown;
    try {
      signTempUrl(req);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TempUrlError);
    expect((caught as TempUrlError).field).toBe(field);
    expect((caught as TempUrlError).message).toMatch(message);
    expect((caught as TempUrlError).message).not.toContain(req.key || "\u0000never");
  };

  it("rejects paths that are not /v1/<account>/<container>/<object>", () => {
    for (const path of [
      "",
      "/",
      "v1/a/c/o",
      "/v1/a/c",
      "/v1/a/c/",
      "/v1//c/o",
      "/v1/a//o",
      "//a/c/o",
    ]) {
      rejects({ ...base, path }, "path", /full path to an object/);
    }
    rejects({ ...base, path: "/v2/a/c/o" }, "path", /must start with \/v1\//);
    rejects({ ...base, path: "/V1/a/c/o" }, "path", /must start with \/v1\//);
    rejects({ ...base, path: "/v1/a/c///" }, "path", /other than "\/"/);
    rejects({ ...base, path: "/v1/a/c/\ud800x" }, "path", /unpaired surrogate/);
  });

  it("rejects prefix paths without a container", () => {
    for (const path of ["/v1/a/c", "/v1/a/", "/v1//c/"]) {
      rejects({ ...base, path, prefix: true }, "path", /at least contain \/v1\/a\/c\//);
    }
    expect(() => signTempUrl({ ...base, path: "/v1/a/c/", prefix: true })).not.toThrow();
  });

  it("rejects unknown methods", () => {
    rejects({ ...base, method: "PATCH" }, "method", /GET, HEAD, PUT, POST, DELETE.*"PATCH"/);
    rejects({ ...base, method: "" }, "method", /got ""/);
  });

  it("rejects expiries that are not non-negative safe integers", () => {
    for (const expires of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      rejects({ ...base, expires }, "expires", /non-negative integer/);
    }
    expect(() => signTempUrl({ ...base, expires: 0 })).not.toThrow();
    expect(() => signTempUrl({ ...base, expires: Number.MAX_SAFE_INTEGER })).not.toThrow();
  });

  it("rejects an empty or malformed key without echoing it", () => {
    rejects({ ...base, key: "" }, "key", /non-empty/);
    rejects({ ...base, key: "secret\udc00" }, "key", /unpaired surrogate/);
  });

  it("rejects unknown digests", () => {
    rejects(
      { ...base, digest: "md5" as TempUrlDigest },
      "digest",
      /digest must be one of sha1, sha256, or sha512/,
    );
  });

  it("rejects invalid ip ranges and host bits", () => {
    rejects({ ...base, ipRange: "1.2.3.4/24" }, "ipRange", /host bits set/);
    rejects({ ...base, ipRange: "1.2.3" }, "ipRange", /not an IPv4 or IPv6/);
  });

  it("never puts the key in any message", () => {
    const key = "k3y-that-must-not-leak";
    const bad: Partial<TempUrlRequest>[] = [
      { path: "/v1/a" },
      { method: "NOPE" },
      { expires: -5 },
      { ipRange: "300.1.1.1" },
      { digest: "sha3" as TempUrlDigest },
      { filename: "\ud800" },
    ];
    for (const change of bad) {
      expect(() => signTempUrl({ ...base, key, ...change })).toThrow(TempUrlError);
      try {
        signTempUrl({ ...base, key, ...change });
      } catch (error) {
        expect(String(error)).not.toContain(key);
      }
    }
  });
});

describe("properties", () => {
  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: "grapheme" })
    .filter((s) => !s.includes("/"));
  const objectName = fc
    .array(fc.string({ minLength: 1, maxLength: 10, unit: "grapheme" }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.join("/"))
    .filter((o) => o.replaceAll("/", "") !== "");
  const ipRange = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom("127.0.0.1", "10.0.0.0/8", "192.168.1.0/255.255.255.0", "::1", "2001:db8::/32"),
  );
  const request = fc.record({
    path: fc.tuple(segment, segment, objectName).map(([a, c, o]) => `/v1/${a}/${c}/${o}`),
    key: fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
    method: fc.constantFrom("GET", "HEAD", "PUT", "POST", "DELETE"),
    expires: fc.integer({ min: 0, max: 2 ** 40 }),
    digest: fc.constantFrom<TempUrlDigest>("sha1", "sha256", "sha512"),
    prefix: fc.boolean(),
    ipRange,
    iso8601: fc.boolean(),
  });

  it("sync and async agree, for full URLs and query strings", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        expect(await signTempUrlAsync(req)).toBe(signTempUrl(req));
        expect(await signTempUrlQueryAsync(req)).toBe(signTempUrlQuery(req));
      }),
      { numRuns: 300 },
    );
  });

  it("the signature is Web Crypto's HMAC of the documented message", async () => {
    const names = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" } as const;
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const enc = new TextEncoder();
        const key = await crypto.subtle.importKey(
          "raw",
          enc.encode(req.key),
          { name: "HMAC", hash: names[req.digest] },
          false,
          ["sign"],
        );
        const message = tempUrlMessage(
          req.method,
          String(req.expires),
          req.path,
          req.prefix,
          req.ipRange,
        );
        const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
        expect(sigOf(signTempUrl(req))).toBe(encodeSignature(req.digest, mac));
      }),
      { numRuns: 200 },
    );
  });

  it("Buffer and plain Uint8Array MACs encode the same (native and portable encoders)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[TempUrlDigest, number]>(["sha1", 20], ["sha256", 32], ["sha512", 64]),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        ([digest, size], bytes) => {
          const mac = bytes.slice(0, size);
          expect(encodeSignature(digest, Buffer.from(mac))).toBe(encodeSignature(digest, mac));
        },
      ),
    );
  });

  it("changing any signed input changes the signature", () => {
    const change = fc.constantFrom(
      "path",
      "key",
      "method",
      "expires",
      "digest",
      "prefix",
      "ipRange",
    );
    fc.assert(
      fc.property(request, change, (req, field) => {
        const other: TempUrlRequest = { ...req };
        switch (field) {
          case "path":
            other.path = `${req.path}x`;
            break;
          case "key":
            other.key = `${req.key}x`;
            break;
          case "method":
            other.method = req.method === "GET" ? "PUT" : "GET";
            break;
          case "expires":
            other.expires = req.expires + 1;
            break;
          case "digest":
            other.digest = req.digest === "sha256" ? "sha1" : "sha256";
            break;
          case "prefix":
            other.prefix = !req.prefix;
            break;
          case "ipRange":
            other.ipRange = "10.0.0.1"; // never generated, so always a change
            break;
        }
        expect(sigOf(signTempUrl(other))).not.toBe(sigOf(signTempUrl(req)));
      }),
      { numRuns: 500 },
    );
  });

  it("the output is the path, then a query whose signature matches its own parameters", () => {
    fc.assert(
      fc.property(request, (req) => {
        const url = signTempUrl(req);
        expect(url.startsWith(`${req.path}?temp_url_sig=`)).toBe(true);
        const sig = sigOf(url.slice(req.path.length));
        const message = tempUrlMessage(
          req.method,
          String(req.expires),
          req.path,
          req.prefix,
          req.ipRange,
        );
        expect(sig).toBe(encodeSignature(req.digest, hmacSync(req.digest, req.key, message)));
      }),
      { numRuns: 300 },
    );
  });
});
