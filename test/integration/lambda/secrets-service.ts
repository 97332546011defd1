import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Secrets Manager and SSM JSON APIs, counting the calls it answers. `answer`
 * sets what the next calls get: one value each, the last one repeated.
 */
export async function fakeSecretsService(secretString: string) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  let queue = [secretString];
  const next = () => (queue.length > 1 ? (queue.shift() as string) : (queue[0] as string));
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"]);
      calls.push({ target, body: JSON.parse(text) as Record<string, unknown> });
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (target === "secretsmanager.GetSecretValue") {
        res.end(JSON.stringify({ ARN: "arn", Name: "swiftboot", SecretString: next() }));
      } else if (target === "AmazonSSM.GetParameter") {
        res.end(JSON.stringify({ Parameter: { Name: "/swiftboot/secrets", Value: next() } }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: "UnknownOperationException" }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    answer: (...secrets: string[]) => {
      queue = secrets;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
