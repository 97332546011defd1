/**
 * What Swift refuses: every tampering with a signed URL, the wrong key or method, and expiry.
 * Each case starts from a URL that works, so a 401 means the change was what Swift noticed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signTempUrl, type TempUrlRequest } from "../../../shared/tempurl/index.ts";
import { SwiftClient, uniqueContainer } from "../../support/swift-client.ts";
import {
  DIGESTS,
  expectDenied,
  get,
  inAnHour,
  nowSeconds,
  param,
  randomKey,
  withParam,
} from "./helpers.ts";

const swift = SwiftClient.fromInject();
const container = uniqueContainer("tempurl-reject");
const key = randomKey();
const A = "nodes/a.ipxe";
const B = "nodes/b.ipxe";

beforeAll(async () => {
  await swift.putContainer(container);
  await swift.setTempUrlKeys({ scope: "container", container }, { key });
  await swift.putObject(container, A, "#!ipxe\necho a\n");
  await swift.putObject(container, B, "#!ipxe\necho b\n");
});

afterAll(async () => {
  await swift.deleteContainer(container);
});

function signed(req: Partial<TempUrlRequest> = {}): string {
  return (
    swift.proxyUrl +
    signTempUrl({ path: swift.path(container, A), key, expires: inAnHour(), ...req })
  );
}

describe.each(DIGESTS)("%s", (digest) => {
  it("the untouched URL works (control)", async () => {
    expect((await get(signed({ digest }))).status).toBe(200);
  });

  it("wrong key: 401", async () => {
    await expectDenied(signed({ digest, key: randomKey("wrong") }));
  });

  it("tampered path (another object of the same container): 401", async () => {
    const url = signed({ digest });
    await expectDenied(url.replace("/nodes/a.ipxe?", "/nodes/b.ipxe?"));
  });

  it("tampered expiry (one second later): 401", async () => {
    const url = signed({ digest });
    const expires = Number(param(url, "temp_url_expires"));
    await expectDenied(withParam(url, "temp_url_expires", String(expires + 1)));
  });

  it("tampered signature (one character changed): 401", async () => {
    const url = signed({ digest });
    const sig = param(url, "temp_url_sig") ?? "";
    // A middle character: the last base64 character of a sha512 signature also holds padding
    // bits, so some changes to it decode to the same bytes.
    const i = Math.floor(sig.length / 2);
    const changed = sig.slice(0, i) + (sig[i] === "a" ? "b" : "a") + sig.slice(i + 1);
    await expectDenied(withParam(url, "temp_url_sig", changed));
  });

  it("wrong method: a GET signature neither deletes nor overwrites", async () => {
    const url = signed({ digest });
    await expectDenied(url, "DELETE");
    const put = await fetch(url, { method: "PUT", body: "overwritten" });
    expect(put.status).toBe(401);
    await put.arrayBuffer();
    expect(new TextDecoder().decode(await swift.getObject(container, A))).toBe("#!ipxe\necho a\n");
  });

  it("a DELETE signature does not allow GET: 401", async () => {
    await expectDenied(signed({ digest, method: "DELETE" }));
  });
});

describe("signature and parameter form", () => {
  it("an upper-case hex signature: 401", async () => {
    const url = signed({ digest: "sha256" });
    const sig = param(url, "temp_url_sig") ?? "";
    await expectDenied(withParam(url, "temp_url_sig", sig.toUpperCase()));
  });

  it("no temp_url_sig or no temp_url_expires: 401", async () => {
    const url = signed();
    await expectDenied(withParam(url, "temp_url_sig", undefined));
    await expectDenied(withParam(url, "temp_url_expires", undefined));
  });

  it("an ISO 8601 expiry with an offset instead of Z: 401", async () => {
    const url = signed({ iso8601: true });
    const iso = param(url, "temp_url_expires") ?? "";
    await expectDenied(withParam(url, "temp_url_expires", iso.replace(/Z$/, "%2B00:00")));
  });

  it("a container without any key (in any of the four places): 401", async () => {
    const bare = uniqueContainer("tempurl-nokey");
    await swift.putContainer(bare);
    try {
      await swift.putObject(bare, "o", "x");
      await expectDenied(
        swift.proxyUrl +
          signTempUrl({ path: swift.path(bare, "o"), key: randomKey(), expires: inAnHour() }),
      );
    } finally {
      await swift.deleteContainer(bare);
    }
  });
});

describe("expiry", () => {
  it("an expired URL: 401", async () => {
    await expectDenied(signed({ expires: nowSeconds() - 5 }));
  });

  it("a URL valid for 2-3 s works before its expiry and gets 401 after it", async () => {
    // Whole seconds: 3 s after the current second is 2-3 s from now.
    const expires = nowSeconds() + 3;
    const url = signed({ expires });
    const before = await get(url);
    expect(Date.now() / 1000).toBeLessThan(expires);
    expect(before.status).toBe(200);
    expect(new TextDecoder().decode(before.body)).toBe("#!ipxe\necho a\n");

    // Swift rejects once time() > expires.
    const wait = (expires + 0.3) * 1000 - Date.now();
    await new Promise((r) => setTimeout(r, wait));
    await expectDenied(url);
    await expectDenied(url, "HEAD");
  });
});
