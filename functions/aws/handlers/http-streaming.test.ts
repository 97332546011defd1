import { describe, expect, it } from "vitest";
import { invokedThroughFunctionUrl } from "./http-streaming.ts";

const event = (domainName: unknown) => ({ requestContext: { domainName } });

describe("invokedThroughFunctionUrl: stream only to a RESPONSE_STREAM Function URL", () => {
  it("recognises a Function URL's own host, also as CloudFront's origin request carries it", () => {
    expect(invokedThroughFunctionUrl(event("abc123.lambda-url.eu-west-1.on.aws"))).toBe(true);
  });

  it("answers buffered to API Gateway (its own host or a custom domain) and to odd events", () => {
    expect(invokedThroughFunctionUrl(event("a1b2c3.execute-api.eu-west-1.amazonaws.com"))).toBe(
      false,
    );
    expect(invokedThroughFunctionUrl(event("boot.example.net"))).toBe(false);
    expect(invokedThroughFunctionUrl(event("localhost:3000"))).toBe(false);
    expect(invokedThroughFunctionUrl(event(undefined))).toBe(false);
    expect(invokedThroughFunctionUrl({})).toBe(false);
    expect(invokedThroughFunctionUrl(undefined)).toBe(false);
  });
});
