import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { adminTestApp } from "../../../test/support/admin-app.ts";
import { emptyStore } from "../../../test/support/store/index.ts";

describe("GET /v1/openapi.json", () => {
  it("is an OpenAPI 3.1 document of every admin route, with schemas referenced", async () => {
    const { call } = await adminTestApp(emptyStore());
    const res = await call("GET", "/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    const doc = res.json as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/v1/images",
      "/v1/images/{id}",
      "/v1/nodes",
      "/v1/nodes/{id}",
      "/v1/nodes/{id}/actions/{action}",
      "/v1/nodes/{id}/boots",
    ]);
    expect(Object.keys(doc.paths["/v1/nodes/{id}"] ?? {}).sort()).toEqual([
      "delete",
      "get",
      "patch",
      "put",
    ]);
    for (const name of ["Node", "Image", "BootRecord", "Problem", "NodePage", "NodePatch"]) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    expect(doc.components.securitySchemes).toHaveProperty("bearer");
    const put = doc.paths["/v1/nodes/{id}"]?.put as {
      requestBody: { content: Record<string, { schema: { $ref: string } }> };
      responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
    };
    expect(put.requestBody.content["application/json"]?.schema.$ref).toBe(
      "#/components/schemas/Node",
    );
    expect(put.responses["409"]?.content?.["application/problem+json"]?.schema.$ref).toBe(
      "#/components/schemas/Problem",
    );
    // Every $ref points at a schema the document defines.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const ref of refs) {
      expect(doc.components.schemas).toHaveProperty(ref.slice(22, -1));
    }
    const action = doc.paths["/v1/nodes/{id}/actions/{action}"]?.post as {
      parameters: { name: string; schema: { enum?: string[] } }[];
    };
    expect(action.parameters.find((p) => p.name === "action")?.schema.enum).toContain("deploy");
  });

  it("passes Redocly's strict recommended rules: servers, an operationId each, 4xx answers", async () => {
    const { call } = await adminTestApp(emptyStore(), {
      SWIFTBOOT_IPXE_PUBLIC_URL: "http://boot.internal:8080",
    });
    const res = await call("GET", "/v1/openapi.json", { token: null });
    const config = await createConfig({ extends: ["recommended-strict"] });
    const problems = await lintFromString({
      source: JSON.stringify(res.json),
      absoluteRef: "openapi.json",
      config,
    });
    expect(problems.map((p) => `${p.ruleId}: ${p.message} ${p.location[0]?.pointer}`)).toEqual([]);
    const doc = res.json as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string; responses: object }>>;
    };
    expect(doc.servers[0]?.url).toBe("http://boot.internal:8080");
    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(operations.length);
    for (const op of operations) expect(Object.keys(op.responses)).toContain("405");
    const put = doc.paths["/v1/nodes/{id}"]?.put?.responses ?? {};
    expect(Object.keys(put)).toEqual(expect.arrayContaining(["413", "415"]));
  });

  it("names the server it was fetched from when ipxe.public_url is unset", async () => {
    const { call } = await adminTestApp(emptyStore());
    const res = await call("GET", "http://boot.lan:8080/v1/openapi.json", { token: null });
    expect((res.json as { servers: { url: string }[] }).servers).toEqual([
      { url: "http://boot.lan:8080", description: "this swiftboot" },
    ]);
  });

  it("is not served when the admin API is off", async () => {
    const { call } = await adminTestApp(emptyStore(), { SWIFTBOOT_ADMIN_TOKENS: "" });
    const res = await call("GET", "/v1/openapi.json", { token: null });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ type: "urn:swiftboot:problem:admin-disabled" });
  });
});
