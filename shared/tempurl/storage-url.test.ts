import { describe, expect, it } from "vitest";
import { splitStorageUrl } from "./storage-url.ts";

// Expected values are urllib.parse.urlparse's (Python 3.11), as `swift tempurl` uses it.
describe("splitStorageUrl", () => {
  it.each([
    ["/v1/a/c/o", "", "/v1/a/c/o"],
    ["http://saio:8080/v1/AUTH_account/c/o", "http://saio:8080", "/v1/AUTH_account/c/o"],
    ["HTTP://h/v1/a/c/o;p?q#f", "http://h", "/v1/a/c/o"],
    ["/v1/a;b/c/o", "", "/v1/a;b/c/o"],
    ["/v1/a/c/o;x;y", "", "/v1/a/c/o"],
    ["  /v1/a/c/o", "", "/v1/a/c/o"],
    ["/v1/a/c/o\twith\ttabs\n", "", "/v1/a/c/owithtabs"],
    ["/v1/a/c/o#frag?x", "", "/v1/a/c/o"],
    ["localhost:8080/v1/a/c/o", "", "8080/v1/a/c/o"],
    ["svn+ssh://h/v1/a/c/o;p", "svn+ssh://h", "/v1/a/c/o;p"],
    ["//h/v1/a/c/o", "", "/v1/a/c/o"],
    ["http:/v1/a/c/o", "", "/v1/a/c/o"],
    ["1http://h/v1/a/c/o", "", "1http://h/v1/a/c/o"],
  ])("%j", (arg, origin, path) => {
    expect(splitStorageUrl(arg)).toEqual({ origin, path });
  });

  it("rejects unbalanced IPv6 brackets like Python", () => {
    expect(() => splitStorageUrl("http://[::1/v1/a/c/o")).toThrow("Invalid IPv6 URL");
  });
});
