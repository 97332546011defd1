import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../support/app-server.ts";
import { brokenStore } from "../../support/store/index.ts";
import {
  ADMIN_ENV,
  ADMIN_TOKEN,
  type AdminFixture,
  callApi,
  image,
  nodeBody,
  READ_TOKEN,
  startAdmin,
} from "./helpers.ts";

let t: AdminFixture;
beforeAll(async () => {
  t = await startAdmin("admin-auth");
  await t.store.putImage(image("k"));
});
afterAll(() => t?.close());

const ROUTES: [string, string, unknown?][] = [
  ["GET", "/v1/images"],
  ["GET", "/v1/images/k"],
  ["PUT", "/v1/images/k", image("k")],
  ["DELETE", "/v1/images/k"],
  ["GET", "/v1/nodes"],
  ["GET", "/v1/nodes/n"],
  ["PUT", "/v1/nodes/n", nodeBody("n", "02:00:00:00:4a:01")],
  ["PATCH", "/v1/nodes/n", { name: "x" }],
  ["DELETE", "/v1/nodes/n"],
  ["POST", "/v1/nodes/n/actions/manage"],
  ["GET", "/v1/nodes/n/boots"],
];

describe("authentication", () => {
  it.each(ROUTES)(
    "%s %s without a token: 401 with WWW-Authenticate: Bearer",
    async (method, path, body) => {
      const res = await t.call(method, path, { token: null, body });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="swiftboot"');
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body).toMatchObject({ type: "urn:swiftboot:problem:unauthorized", status: 401 });
    },
  );

  it("a wrong token, a malformed header or a token hash is 401 invalid_token", async () => {
    for (const authorization of ["Bearer sbt_wrong", "Basic YTpi", "Bearer", "Token abc"]) {
      const res = await t.call("GET", "/v1/images", {
        token: null,
        headers: { authorization },
      });
      expect(res.status, authorization).toBe(401);
    }
    const hash = ADMIN_ENV.SWIFTBOOT_ADMIN_TOKENS.split(",")[0]?.split(":")[1] as string;
    const res = await t.call("GET", "/v1/images", { token: hash });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it.each(ROUTES)("%s %s with a read token", async (method, path, body) => {
    const res = await t.call(method, path, { token: READ_TOKEN, body });
    if (method === "GET") {
      expect([200, 404]).toContain(res.status);
    } else {
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toContain(
        'error="insufficient_scope", scope="admin"',
      );
      expect(res.body.type).toBe("urn:swiftboot:problem:forbidden");
    }
  });

  it("the admin token may do everything", async () => {
    expect(
      (await t.call("PUT", "/v1/nodes/adm", { body: nodeBody("adm", "02:00:00:00:4a:02") })).status,
    ).toBe(201);
    expect((await t.call("POST", "/v1/nodes/adm/actions/manage")).status).toBe(200);
    expect((await t.call("GET", "/v1/nodes/adm", { token: READ_TOKEN })).status).toBe(200);
    expect((await t.call("DELETE", "/v1/nodes/adm")).status).toBe(204);
  });

  it("never writes a token, or the configured hashes, to the log", async () => {
    await t.call("GET", "/v1/images", { token: READ_TOKEN });
    await t.call("GET", "/v1/images", { token: "sbt_not-a-real-token-but-secret" });
    const all = t.server.rawLogs.join("\n");
    for (const secret of [ADMIN_TOKEN, READ_TOKEN, "sbt_not-a-real-token-but-secret"]) {
      expect(all).not.toContain(secret);
    }
    for (const entry of ADMIN_ENV.SWIFTBOOT_ADMIN_TOKENS.split(",")) {
      expect(all).not.toContain(entry.split(":")[1]);
    }
    const line = t.server.logs().findLast((l) => l.path === "/v1/images" && l.status === 200);
    expect(line?.actor).toMatch(/^read:[0-9a-f]{8}$/);
  });

  it("boot routes stay unauthenticated", async () => {
    const res = await fetch(`${t.server.url}/boot.ipxe`);
    expect(res.status).toBe(200);
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
  });
});

describe("without admin.tokens the admin API is off", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer(t.store, { ...ADMIN_ENV, SWIFTBOOT_ADMIN_TOKENS: "" });
  });
  afterAll(() => off?.close());

  it.each([...ROUTES, ["GET", "/v1/openapi.json"] as [string, string]])(
    "%s %s: 404 admin-disabled, whatever the token",
    async (method, path, body) => {
      const res = await callApi(off.url, method, path, { body });
      expect(res.status).toBe(404);
      expect(res.body.type).toBe("urn:swiftboot:problem:admin-disabled");
    },
  );
});

describe("limits and unknown routes", () => {
  it("refuses bodies over 256 KiB with 413 problem+json", async () => {
    // On its own connection: the server answers before reading the body, then drops the socket,
    // which fetch's shared pool would otherwise try to reuse for the next test.
    const body = JSON.stringify({
      ...nodeBody("big", "02:00:00:00:4a:03"),
      name: "x".repeat(300 * 1024),
    });
    const res = await new Promise<{ status: number; text: string; type: string }>(
      (resolve, reject) => {
        const req = request(
          `${t.server.url}/v1/nodes/big`,
          {
            method: "PUT",
            agent: false,
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          },
          (r) => {
            let text = "";
            r.on("data", (chunk: Buffer) => {
              text += chunk.toString("utf8");
            });
            r.on("end", () =>
              resolve({ status: r.statusCode ?? 0, text, type: String(r.headers["content-type"]) }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      },
    );
    expect(res.status).toBe(413);
    expect(res.type).toBe("application/problem+json");
    expect(JSON.parse(res.text)).toMatchObject({
      type: "urn:swiftboot:problem:payload-too-large",
      status: 413,
    });
    expect(await t.store.getNode("big")).toBeUndefined();
  });

  it("caps page sizes at 1000", async () => {
    expect((await t.call("GET", "/v1/nodes?limit=1000")).status).toBe(200);
    const res = await t.call("GET", "/v1/nodes?limit=1001");
    expect(res.status).toBe(400);
    expect((res.body.errors as { path: string }[])[0]?.path).toBe("limit");
  });

  it("405 with Allow for a known path with another method; 404 for unknown paths", async () => {
    const post = await t.call("POST", "/v1/nodes/x");
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, PUT, PATCH, DELETE");
    const getAction = await t.call("GET", "/v1/nodes/x/actions/manage");
    expect(getAction.status).toBe(405);
    expect(getAction.headers.get("allow")).toBe("POST");
    const unknown = await t.call("GET", "/v1/nodes/x/y/z");
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe("urn:swiftboot:problem:not-found");
  });

  it("serves the OpenAPI document without a token", async () => {
    const res = await t.call("GET", "/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
  });
});

describe("an unavailable store", () => {
  let down: TestServer;
  beforeAll(async () => {
    down = await startTestServer(brokenStore(), ADMIN_ENV);
  });
  afterAll(() => down?.close());

  it.each(ROUTES)("%s %s: 503 with Retry-After", async (method, path, body) => {
    const res = await callApi(down.url, method, path, { body });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.body).toMatchObject({ type: "urn:swiftboot:problem:store-unavailable" });
    expect(res.text).not.toContain("brokenStore");
  });
});
