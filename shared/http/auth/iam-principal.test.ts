import { describe, expect, it } from "vitest";
import { iamPrincipalArn, parsePrincipalEntries, scopeOfPrincipal } from "./iam-principal.ts";

describe("IAM principals", () => {
  const entries = parsePrincipalEntries(
    "read:arn:aws:iam::123456789012:*, admin:arn:aws:sts::123456789012:assumed-role/Ops/*,admin:arn:aws:iam::123456789012:user/root-ops",
  );

  it("map exact ARNs and ARN prefixes to the widest matching scope", () => {
    expect(scopeOfPrincipal("arn:aws:iam::123456789012:user/auditor", entries)).toBe("read");
    expect(scopeOfPrincipal("arn:aws:iam::123456789012:user/root-ops", entries)).toBe("admin");
    expect(scopeOfPrincipal("arn:aws:sts::123456789012:assumed-role/Ops/jane", entries)).toBe(
      "admin",
    );
    expect(scopeOfPrincipal("arn:aws:sts::123456789012:assumed-role/Dev/jane", entries)).toBe(
      undefined,
    );
    expect(scopeOfPrincipal("arn:aws:iam::999999999999:user/auditor", entries)).toBe(undefined);
    // An exact entry is not a prefix.
    expect(
      scopeOfPrincipal("arn:aws:iam::123456789012:user/root-ops2", [entries[2] as never]),
    ).toBe(undefined);
  });

  it("take the principal from the request context only", () => {
    const iam = { userArn: "arn:aws:iam::123456789012:user/a" };
    expect(iamPrincipalArn({ requestContext: { authorizer: { iam } } })).toBe(iam.userArn);
    expect(iamPrincipalArn({ requestContext: {} })).toBeUndefined();
    expect(iamPrincipalArn(undefined)).toBeUndefined();
    expect(
      iamPrincipalArn({ requestContext: { authorizer: { iam: { userArn: "operator" } } } }),
    ).toBeUndefined();
  });
});
