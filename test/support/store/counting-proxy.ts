import { createServer as createHttpServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy in front of DynamoDB Local that counts the calls going through it by
 * operation (the `X-Amz-Target` header, e.g. `DynamoDB_20120810.GetItem` -> `GetItem`). The load
 * bench and the store tests point a store at it to count the store calls a script costs, at the wire, whatever
 * layer (dynamodb-toolbox, the document client, a cache) makes them.
 */
export interface CountingProxy {
  endpoint: string;
  counts(): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  const server = createHttpServer((req, res) => {
    const op = String(req.headers["x-amz-target"] ?? "other").replace(/^.*\./, "");
    counts[op] = (counts[op] ?? 0) + 1;
    const forward = httpRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
