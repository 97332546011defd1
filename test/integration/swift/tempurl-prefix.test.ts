/**
 * Prefix-based temp URLs: one signature for every object whose name starts with the prefix.
 * The URL carries temp_url_prefix=<prefix>; the signed path is prefix:/v1/<account>/<container>/<prefix>.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTempUrl } from "../../../shared/tempurl/index.ts";
import { SwiftClient, uniqueContainer } from "../../support/swift-client.ts";
import { DIGESTS, expectDenied, get, inAnHour, param, randomKey, withParam } from "./helpers.ts";

const swift = SwiftClient.fromInject();
const container = uniqueContainer("tempurl-prefix");
const key = randomKey();
const OBJECTS = ["kernels/a", "kernels/b/c.img", "kernelsX", "other/x"] as const;

beforeAll(async () => {
  await swift.putContainer(container);
  await swift.setTempUrlKeys({ scope: "container", container }, { key });
  for (const name of OBJECTS) await swift.putObject(container, name, `content of ${name}`);
});

afterAll(async () => {
  await swift.deleteContainer(container);
});

/** A prefix signature, reused for `object`: only the path before "?" changes. */
function prefixUrl(prefix: string, object: string, digest?: (typeof DIGESTS)[number]): string {
  const signed = signTempUrl({
    path: swift.path(container, prefix),
    key,
    expires: inAnHour(),
    prefix: true,
    digest,
  });
  return swift.proxyUrl + swift.path(container, object) + signed.slice(signed.indexOf("?"));
}

describe.each(DIGESTS)("%s", (digest) => {
  it("serves every object under the prefix with one signature", async () => {
    for (const name of ["kernels/a", "kernels/b/c.img"]) {
      const res = await get(prefixUrl("kernels/", name, digest));
      expect(res.status, name).toBe(200);
      expect(new TextDecoder().decode(res.body)).toBe(`content of ${name}`);
    }
  });

  it("refuses objects outside the prefix: 401", async () => {
    await expectDenied(prefixUrl("kernels/", "other/x", digest));
    await expectDenied(prefixUrl("kernels/", "kernelsX", digest));
  });
});

describe("prefix rules", () => {
  it("the prefix is a plain string prefix, not a directory", async () => {
    const url = prefixUrl("kernels", "kernelsX");
    expect(param(url, "temp_url_prefix")).toBe("kernels");
    expect((await get(url)).status).toBe(200);
  });

  it("an empty prefix covers the whole container", async () => {
    for (const name of OBJECTS) expect((await get(prefixUrl("", name))).status, name).toBe(200);
  });

  it("HEAD works with a GET prefix signature", async () => {
    const res = await get(prefixUrl("kernels/", "kernels/a"), "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String("content of kernels/a".length));
  });

  it("without temp_url_prefix the signature is checked as an object signature: 401", async () => {
    await expectDenied(withParam(prefixUrl("kernels/", "kernels/a"), "temp_url_prefix", undefined));
  });

  it("a widened temp_url_prefix: 401", async () => {
    await expectDenied(withParam(prefixUrl("kernels/", "other/x"), "temp_url_prefix", ""));
    await expectDenied(withParam(prefixUrl("kernels/", "other/x"), "temp_url_prefix", "other/"));
  });

  it("an object signature does not become a prefix signature: 401", async () => {
    const signed = signTempUrl({
      path: swift.path(container, "kernels/"),
      key,
      expires: inAnHour(),
    });
    const url = `${swift.proxyUrl}${swift.path(container, "kernels/a")}${signed.slice(signed.indexOf("?"))}&temp_url_prefix=kernels/`;
    await expectDenied(url);
  });
});
