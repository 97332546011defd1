/**
 * temp_url_ip_range: the URL only works from the signed address or network.
 *
 * The proxy listens on 127.0.0.1. fetch connects from 127.0.0.1; rawHttpRequest can connect from
 * another loopback address (127.0.0.2: all of 127.0.0.0/8 is local on Linux), so Swift sees a
 * genuinely different client address, as a request from another machine would look.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTempUrl, TempUrlError } from "../../../shared/tempurl/index.ts";
import { rawHttpRequest, SwiftClient, uniqueContainer } from "../../support/swift-client.ts";
import {
  DIGESTS,
  expectDenied,
  get,
  inAnHour,
  randomKey,
  TEMP_URL_INVALID,
  withParam,
} from "./helpers.ts";

const swift = SwiftClient.fromInject();
const container = uniqueContainer("tempurl-ip");
const key = randomKey();
const OBJECT = "ipxe/snponly.efi";
const BODY = "not really an EFI binary";

beforeAll(async () => {
  await swift.putContainer(container);
  await swift.setTempUrlKeys({ scope: "container", container }, { key });
  await swift.putObject(container, OBJECT, BODY);
});

afterAll(async () => {
  await swift.deleteContainer(container);
});

function signedFor(ipRange: string, digest?: (typeof DIGESTS)[number]): string {
  return signTempUrl({
    path: swift.path(container, OBJECT),
    key,
    expires: inAnHour(),
    ipRange,
    digest,
  });
}

async function fromAddress(localAddress: string, target: string): Promise<number> {
  const res = await rawHttpRequest(swift.proxyUrl, target, { localAddress });
  if (res.status === 401) expect(new TextDecoder().decode(res.body).trim()).toBe(TEMP_URL_INVALID);
  return res.status;
}

describe.each(DIGESTS)("%s", (digest) => {
  it("bound to 127.0.0.1: accepted from 127.0.0.1", async () => {
    const res = await get(swift.proxyUrl + signedFor("127.0.0.1", digest));
    expect(res.status).toBe(200);
    expect(new TextDecoder().decode(res.body)).toBe(BODY);
  });

  it("bound to 10.9.9.9: 401 from 127.0.0.1", async () => {
    await expectDenied(swift.proxyUrl + signedFor("10.9.9.9", digest));
  });

  it("bound to 127.0.0.1: 401 from 127.0.0.2, and the reverse", async () => {
    expect(await fromAddress("127.0.0.2", signedFor("127.0.0.1", digest))).toBe(401);
    expect(await fromAddress("127.0.0.1", signedFor("127.0.0.2", digest))).toBe(401);
    expect(await fromAddress("127.0.0.2", signedFor("127.0.0.2", digest))).toBe(200);
  });
});

describe("networks and tampering", () => {
  it("a network covers its addresses", async () => {
    const url = signedFor("127.0.0.0/24");
    expect(await fromAddress("127.0.0.1", url)).toBe(200);
    expect(await fromAddress("127.0.0.2", url)).toBe(200);
    expect(await fromAddress("127.0.1.1", url)).toBe(401);
    expect(await fromAddress("127.0.1.1", signedFor("127.0.0.0/8"))).toBe(200);
  });

  it("the range is signed: changing or dropping it gets 401", async () => {
    const url = swift.proxyUrl + signedFor("10.9.9.9");
    await expectDenied(withParam(url, "temp_url_ip_range", "127.0.0.1"));
    await expectDenied(withParam(url, "temp_url_ip_range", undefined));
  });

  it("a range with host bits set is refused by the signer and by Swift", async () => {
    const req = {
      path: swift.path(container, OBJECT),
      key,
      expires: inAnHour(),
      ipRange: "127.0.0.1/8",
    };
    expect(() => signTempUrl(req)).toThrow(TempUrlError);
    // Signed by hand, Swift answers 401 although the HMAC is right.
    const message = `ip=${req.ipRange}\nGET\n${req.expires}\n${req.path}`;
    const sig = createHmac("sha256", key).update(message).digest("hex");
    const url = `${swift.proxyUrl}${req.path}?temp_url_sig=${sig}&temp_url_expires=${req.expires}&temp_url_ip_range=${req.ipRange}`;
    await expectDenied(url);
    // The same hand-made signature over a valid network works, so the HMAC above was right.
    const ok = `ip=127.0.0.0/8\nGET\n${req.expires}\n${req.path}`;
    const okSig = createHmac("sha256", key).update(ok).digest("hex");
    expect(
      (
        await get(
          `${swift.proxyUrl}${req.path}?temp_url_sig=${okSig}&temp_url_expires=${req.expires}&temp_url_ip_range=127.0.0.0/8`,
        )
      ).status,
    ).toBe(200);
  });
});
