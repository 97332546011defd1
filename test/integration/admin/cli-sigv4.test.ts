import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../functions/cli/io.ts";
import { main } from "../../../functions/cli/main.ts";
import { parseConfig, secretsOf } from "../../../shared/config/index.ts";
import { iamPrincipalAuth, parsePrincipalEntries } from "../../../shared/http/auth/index.ts";
import { createApp } from "../../../shared/http/index.ts";
import { createMemoryLogger } from "../../../shared/log/index.ts";
import { verifySigV4 } from "../../support/sigv4-verify.ts";
import { createTestStore, type TestStore } from "../store/helpers.ts";

/**
 * `swiftboot` against the admin API as deployed on AWS, without AWS: a stand-in of the AWS_IAM
 * Function URL checks each request's SigV4 signature (test/support/sigv4-verify.ts, written from
 * the specification) and, as Lambda does, hands the real app the verified principal in
 * `requestContext.authorizer.iam`; the app maps it to a scope (admin.iam_principals).
 */
const REGION = "eu-west-1";
const OPERATOR = {
  accessKeyId: "AKIAOPERATOR0000TEST",
  secretAccessKey: "operator-secret-key-for-tests",
};
const AUDITOR = {
  accessKeyId: "AKIAAUDITOR00000TEST",
  secretAccessKey: "auditor-secret-key-for-tests",
};
const ARNS: Record<string, string> = {
  [OPERATOR.accessKeyId]: "arn:aws:sts::123456789012:assumed-role/Ops/jane",
  [AUDITOR.accessKeyId]: "arn:aws:iam::123456789012:user/auditor",
};
const secrets = new Map([
  [OPERATOR.accessKeyId, OPERATOR.secretAccessKey],
  [AUDITOR.accessKeyId, AUDITOR.secretAccessKey],
]);

let db: TestStore;
let server: Server;
let url: string;
const refusals: string[] = [];
const actors: unknown[] = [];

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  db = await createTestStore("admin-sigv4");
  const config = parseConfig({
    env: {
      SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "artifact-key-0123456789abcdef",
      SWIFTBOOT_ADMIN_IAM_PRINCIPALS:
        "admin:arn:aws:sts::123456789012:assumed-role/Ops/*,read:arn:aws:iam::123456789012:user/auditor",
    },
  });
  const { logger, records } = createMemoryLogger({ secrets: secretsOf(config) });
  const app = createApp({
    config,
    store: db.store,
    logger,
    adminAuth: iamPrincipalAuth(parsePrincipalEntries(config.admin.iam_principals)),
  });
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
    );
    const verdict = verifySigV4(
      { method: req.method ?? "GET", url: req.url ?? "/", headers, body },
      secrets,
      { region: REGION, service: "lambda" },
      new Date(),
    );
    if (!verdict.ok) {
      // What the Function URL answers itself: the function never runs.
      refusals.push(verdict.reason);
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ Message: "Forbidden" }));
      return;
    }
    const answer = await app.fetch(
      new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method ?? "GET",
        headers: headers as Record<string, string>,
        ...(body.length === 0 ? {} : { body: new Uint8Array(body) }),
      }),
      {
        requestContext: {
          authorizer: {
            iam: { accessKey: verdict.accessKeyId, userArn: ARNS[verdict.accessKeyId] },
          },
        },
      },
    );
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
    actors.push(
      ...records()
        .filter((r) => r.msg === "request")
        .map((r) => r.actor),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function run(
  args: string[],
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined,
  env: Record<string, string> = {},
  stdin = "",
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => stdin,
    setExitCode: () => {},
    env: { SWIFTBOOT_API_URL: url, SWIFTBOOT_API_AWS_REGION: REGION, ...env },
    ...(credentials === undefined ? {} : { awsCredentials: async () => credentials }),
  };
  const code = await main(["node", "swiftboot", ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("the CLI with AWS credentials (SigV4)", () => {
  it("writes (a signed body) and lists as an admin principal; the log names the principal", async () => {
    const put = await run(
      ["nodes", "put", "-"],
      OPERATOR,
      {},
      JSON.stringify({
        id: "n-sigv4",
        name: "signed",
        state: "enroll",
        macs: ["52:54:00:00:51:04"],
      }),
    );
    expect(put).toMatchObject({ code: 0, err: "" });
    const list = await run(["nodes", "list", "--json"], OPERATOR);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as { id: string }[]).map((n) => n.id)).toContain("n-sigv4");
    expect(refusals).toEqual([]);
    expect(actors).toContain("arn:aws:sts::123456789012:assumed-role/Ops/jane");
  });

  it("gives a read principal reads only", async () => {
    expect((await run(["nodes", "list"], AUDITOR)).code).toBe(0);
    const write = await run(
      ["nodes", "put", "-"],
      AUDITOR,
      {},
      JSON.stringify({
        id: "n-denied",
        name: "denied",
        state: "enroll",
        macs: ["52:54:00:00:51:05"],
      }),
    );
    expect(write.code).toBe(1);
    expect(write.err).toContain(
      "needs scope admin; arn:aws:iam::123456789012:user/auditor has read",
    );
  });

  it("is refused before the function with a wrong secret; a token still means bearer", async () => {
    const wrong = await run(["nodes", "list"], {
      accessKeyId: OPERATOR.accessKeyId,
      secretAccessKey: "not-the-secret",
    });
    expect(wrong.code).toBe(1);
    expect(refusals.at(-1)).toBe("signature does not match");
    // With SWIFTBOOT_API_TOKEN the CLI sends a bearer token and no signature.
    const bearer = await run(["nodes", "list"], OPERATOR, { SWIFTBOOT_API_TOKEN: "sbt_x" });
    expect(bearer.code).toBe(1);
    expect(refusals.at(-1)).toBe("no SigV4 Authorization header");
  });

  it("finds credentials through the standard chain (here: the environment)", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = OPERATOR.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = OPERATOR.secretAccessKey;
    try {
      const list = await run(["nodes", "list", "--json"], undefined);
      expect(list).toMatchObject({ code: 0, err: "" });
    } finally {
      for (const [name, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("signs for the region of a Function URL host, and refuses a malformed region", async () => {
    const { sigv4Region } = await import("../../../functions/cli/commands/sigv4.ts");
    expect(sigv4Region("https://abcdef0123.lambda-url.eu-central-1.on.aws/", {})).toBe(
      "eu-central-1",
    );
    expect(sigv4Region("http://127.0.0.1:8080", {})).toBeUndefined();
    const bad = await run(["nodes", "list"], OPERATOR, { SWIFTBOOT_API_AWS_REGION: "mars" });
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toContain("SWIFTBOOT_API_AWS_REGION must be an AWS region");
  });
});
