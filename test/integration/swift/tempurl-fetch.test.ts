/**
 * Temp URLs signed by shared/tempurl, fetched from a real Swift with plain fetch, exactly as the
 * signer wrote them: every digest, integer and ISO 8601 expiry, GET and HEAD.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTempUrl } from "../../../shared/tempurl/index.ts";
import { SwiftClient, uniqueContainer } from "../../support/swift-client.ts";
import {
  DIGESTS,
  expectDenied,
  get,
  inAnHour,
  param,
  randomKey,
  randomObject,
  sha256Hex,
} from "./helpers.ts";

const swift = SwiftClient.fromInject();
const container = uniqueContainer("tempurl-fetch");
const key = randomKey();
const kernel = randomObject(3 * 1024 * 1024 + 17);
const script = "#!ipxe\necho hello from swift\n";
const KERNEL = "images/ipa/deploy.kernel";
const SCRIPT = "boot.ipxe";

beforeAll(async () => {
  await swift.putContainer(container);
  await swift.setTempUrlKeys({ scope: "container", container }, { key });
  await swift.putObject(container, KERNEL, kernel);
  await swift.putObject(container, SCRIPT, script, { "Content-Type": "text/plain" });
});

afterAll(async () => {
  await swift.deleteContainer(container);
});

const SIG_FORMS = {
  sha1: /^[0-9a-f]{40}$/,
  sha256: /^[0-9a-f]{64}$/,
  sha512: /^sha512:[A-Za-z0-9_-]{86}$/,
} as const;

describe.each(DIGESTS)("%s signature", (digest) => {
  it.each([
    ["integer", false],
    ["ISO 8601", true],
  ])("GET with %s expiry returns the object's bytes", async (_label, iso8601) => {
    const expires = inAnHour();
    const signed = signTempUrl({
      path: swift.path(container, KERNEL),
      key,
      expires,
      digest,
      iso8601,
    });
    expect(param(signed, "temp_url_sig")).toMatch(SIG_FORMS[digest]);
    expect(param(signed, "temp_url_expires")).toMatch(
      iso8601 ? /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ : /^\d+$/,
    );

    const res = await get(swift.proxyUrl + signed);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(kernel.length);
    expect(sha256Hex(res.body)).toBe(sha256Hex(kernel));
    // Swift announces the URL's expiry, and offers the object as a download.
    expect(Date.parse(res.headers.get("expires") ?? "") / 1000).toBe(expires);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="deploy.kernel"/);
  });

  it("HEAD works with the GET signature", async () => {
    const signed = signTempUrl({
      path: swift.path(container, KERNEL),
      key,
      expires: inAnHour(),
      digest,
    });
    const res = await get(swift.proxyUrl + signed, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(kernel.length));
    expect(res.body.length).toBe(0);
  });
});

describe("methods", () => {
  it("a HEAD signature allows HEAD only", async () => {
    const url =
      swift.proxyUrl +
      signTempUrl({
        path: swift.path(container, SCRIPT),
        key,
        expires: inAnHour(),
        method: "HEAD",
      });
    expect((await get(url, "HEAD")).status).toBe(200);
    await expectDenied(url, "GET");
  });

  it("HEAD is also allowed with a PUT signature, GET is not", async () => {
    const url =
      swift.proxyUrl +
      signTempUrl({ path: swift.path(container, SCRIPT), key, expires: inAnHour(), method: "PUT" });
    expect((await get(url, "HEAD")).status).toBe(200);
    await expectDenied(url, "GET");
  });

  it("a PUT signature uploads an object that a GET signature then serves", async () => {
    const name = "uploaded/by-temp-url.bin";
    const body = randomObject(4096);
    const put = signTempUrl({
      path: swift.path(container, name),
      key,
      expires: inAnHour(),
      method: "PUT",
    });
    const res = await fetch(swift.proxyUrl + put, { method: "PUT", body });
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    const got = await get(
      swift.proxyUrl + signTempUrl({ path: swift.path(container, name), key, expires: inAnHour() }),
    );
    expect(sha256Hex(got.body)).toBe(sha256Hex(body));
  });
});

describe("filename and inline", () => {
  it("filename sets the download name without being signed", async () => {
    const req = { path: swift.path(container, SCRIPT), key, expires: inAnHour() };
    const res = await get(swift.proxyUrl + signTempUrl({ ...req, filename: "node 1.ipxe" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="node 1.ipxe"/);
    expect(new TextDecoder().decode(res.body)).toBe(script);
  });

  it("inline asks for Content-Disposition: inline", async () => {
    const signed = signTempUrl({
      path: swift.path(container, SCRIPT),
      key,
      expires: inAnHour(),
      inline: true,
    });
    const res = await get(swift.proxyUrl + signed);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^inline/);
  });
});
