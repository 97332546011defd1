import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** Address of the host's loopback as seen from a QEMU user-mode-network guest. */
export const GUEST_HOST = "10.0.2.2";

export interface LoggedRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: IncomingMessage["headers"];
  /** Milliseconds since the server started. */
  at: number;
  status?: number;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  logged: LoggedRequest,
) => void | Promise<void>;

export interface TestServer {
  port: number;
  /** A URL for `path` as the guest reaches this server. */
  guestUrl(path: string): string;
  /** Every request so far, in arrival order. */
  requests: LoggedRequest[];
  close(): Promise<void>;
}

/** A throwaway HTTP server on 127.0.0.1 (free port) that logs every request. */
export async function startTestServer(handler: Handler): Promise<TestServer> {
  const started = performance.now();
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    const logged: LoggedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      at: Math.round(performance.now() - started),
    };
    requests.push(logged);
    res.on("finish", () => {
      logged.status = res.statusCode;
    });
    Promise.resolve(handler(req, res, logged)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`handler failed: ${String(err)}\n`);
    });
  });
  // iPXE keeps connections alive; do not let them hold close() up.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    guestUrl: (path) => `http://${GUEST_HOST}:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** An iPXE script: `#!ipxe` then the given lines. */
export function sendScript(res: ServerResponse, lines: string[]): void {
  sendText(res, 200, `#!ipxe\n${lines.join("\n")}\n`);
}

export async function sendFile(res: ServerResponse, path: string): Promise<void> {
  const { size } = await stat(path);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on("error", reject).pipe(res).on("finish", resolve);
  });
}

/**
 * A recording HTTP proxy on 127.0.0.1 (free port) in front of `target` (e.g. the local Swift):
 * every request is passed on with its method, path, query and headers unchanged, after `hold`
 * resolves (to delay chosen requests), and the upstream answer is passed back as it is.
 * `requests` records what the client sent and the status the upstream gave.
 */
export async function startForwardingProxy(
  target: string,
  hold?: (logged: LoggedRequest) => void | Promise<void>,
): Promise<TestServer> {
  const upstream = new URL(target);
  return startTestServer(async (req, res, logged) => {
    await hold?.(logged);
    await new Promise<void>((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: Number(upstream.port),
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
          agent: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once("end", resolve);
          answer.once("error", reject);
        },
      );
      out.once("error", reject);
      // A guest that gives up must not leave the upstream request hanging.
      res.once("close", () => out.destroy());
      req.pipe(out);
    });
  });
}
