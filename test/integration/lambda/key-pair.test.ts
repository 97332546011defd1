import { execFile } from "node:child_process";
import { createPublicKey, createSign, createVerify } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

/**
 * The front's key-pair custom resource (infra/front/key-pair.cjs, deployed inline) run as Lambda
 * would run it, in a Node process of its own, against a stand-in of Secrets Manager's JSON API
 * (AWS_ENDPOINT_URL_SECRETS_MANAGER) and a stand-in of CloudFormation's response URL.
 */
const HANDLER = fileURLToPath(new URL("../../../infra/front/key-pair.cjs", import.meta.url));
const NODE_MODULES = fileURLToPath(new URL("../../../node_modules", import.meta.url));
const SECRET_ID = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swiftboot-AbCdEf";

let server: Server;
let base: string;
let secret: Record<string, string> | undefined;
let puts = 0;
const responses: Record<string, unknown>[] = [];

async function json(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await json(req);
    if (req.url?.startsWith("/cfn-response")) {
      responses.push(body);
      res.end();
      return;
    }
    const target = req.headers["x-amz-target"];
    res.setHeader("content-type", "application/x-amz-json-1.1");
    if (body.SecretId !== SECRET_ID || secret === undefined) {
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "ResourceNotFoundException", message: "no such secret" }));
      return;
    }
    if (target === "secretsmanager.GetSecretValue") {
      res.end(
        JSON.stringify({ ARN: SECRET_ID, SecretString: JSON.stringify(secret), VersionId: "v1" }),
      );
    } else if (target === "secretsmanager.PutSecretValue") {
      puts += 1;
      secret = JSON.parse(String(body.SecretString)) as Record<string, string>;
      res.end(JSON.stringify({ ARN: SECRET_ID, VersionId: `v${puts + 1}` }));
    } else {
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "UnknownOperationException" }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function invoke(requestType: "Create" | "Update" | "Delete", secretId = SECRET_ID) {
  const event = {
    RequestType: requestType,
    ResponseURL: `${base}/cfn-response?X-Amz-Signature=example`,
    StackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/Swiftboot/1",
    RequestId: `request-${responses.length + 1}`,
    LogicalResourceId: "FrontKeyPair",
    ...(requestType === "Create" ? {} : { PhysicalResourceId: "swiftboot-front-key" }),
    ResourceProperties: { SecretId: secretId },
  };
  const script = `require(process.argv[1]).handler(JSON.parse(process.argv[2]), { logStreamName: "test-stream" }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
  await run(process.execPath, ["-e", script, HANDLER, JSON.stringify(event)], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NODE_PATH: NODE_MODULES,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: base,
    },
    timeout: 60_000,
  });
  return responses.at(-1) as {
    Status: string;
    Reason: string;
    PhysicalResourceId: string;
    RequestId: string;
    Data: { PublicKey?: string };
  };
}

describe("the front's key-pair custom resource", () => {
  it("makes an RSA key pair once: private key into the secret, public key to CloudFormation", async () => {
    secret = { "artifacts.signing_key": "generated-signing-key-0123456789", "admin.tokens": "" };
    const created = await invoke("Create");
    expect(created).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: "swiftboot-front-key",
      RequestId: "request-1",
    });
    expect(puts).toBe(1);
    // The secret keeps what it held and gains the private key.
    expect(secret["artifacts.signing_key"]).toBe("generated-signing-key-0123456789");
    const privatePem = secret["front.private_key"] as string;
    expect(privatePem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const publicPem = created.Data.PublicKey as string;
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(createPublicKey(publicPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The pair matches: what the functions sign with, CloudFront verifies with.
    const signature = createSign("RSA-SHA1").update("policy").sign(privatePem);
    expect(createVerify("RSA-SHA1").update("policy").verify(publicPem, signature)).toBe(true);
    // The private key is in no response.
    expect(JSON.stringify(responses)).not.toContain("PRIVATE KEY");

    // An update keeps the key: the same public key, nothing written.
    const updated = await invoke("Update");
    expect(updated).toMatchObject({ Status: "SUCCESS", Data: { PublicKey: publicPem } });
    expect(puts).toBe(1);
    expect(secret["front.private_key"]).toBe(privatePem);
  }, 60_000);

  it("leaves the secret alone on delete and reports a failure it cannot help", async () => {
    const before = JSON.stringify(secret);
    expect(await invoke("Delete")).toMatchObject({ Status: "SUCCESS", Data: {} });
    expect(JSON.stringify(secret)).toBe(before);
    const failed = await invoke(
      "Create",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:other",
    );
    expect(failed.Status).toBe("FAILED");
    expect(failed.Reason).toContain("no such secret");
    expect(failed.Reason).toContain("test-stream");
  }, 60_000);
});
