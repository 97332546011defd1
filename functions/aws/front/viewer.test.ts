import { describe, expect, it } from "vitest";
import { viewerRequest } from "./viewer.ts";

const FUNCTION_URL =
  "https://abc123.lambda-url.eu-west-1.on.aws/boot/52-54-00-12-34-56.ipxe?uuid=x";

describe("viewerRequest", () => {
  it("puts the viewer's host and scheme on the request, path and query unchanged", () => {
    const viaHttp = viewerRequest(
      new Request(FUNCTION_URL, { headers: { "x-swiftboot-viewer-host": "d111.cloudfront.net" } }),
    );
    expect(viaHttp.url).toBe("http://d111.cloudfront.net/boot/52-54-00-12-34-56.ipxe?uuid=x");
    const viaHttps = viewerRequest(
      new Request(FUNCTION_URL, {
        headers: {
          "x-swiftboot-viewer-host": "Boot.Example.com",
          "cloudfront-forwarded-proto": "https",
        },
      }),
    );
    expect(viaHttps.url).toBe("https://boot.example.com/boot/52-54-00-12-34-56.ipxe?uuid=x");
  });

  it("leaves a request without the header, or with a host carrying a path or port trick, as it was", () => {
    expect(viewerRequest(new Request(FUNCTION_URL)).url).toBe(FUNCTION_URL);
    for (const host of ["evil.example/x", "evil.example@other", "a b", "evil.example:80#"]) {
      const request = new Request(FUNCTION_URL, { headers: { "x-swiftboot-viewer-host": host } });
      expect(viewerRequest(request).url).toBe(FUNCTION_URL);
    }
  });
});
