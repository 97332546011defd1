import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy in front of DynamoDB Local that controls BatchWriteItem (the boot
 * history's write) and passes every other call through untouched:
 *
 * - `hold`: a BatchWriteItem is held (neither forwarded nor answered) while the gate is closed.
 *   The gate opens when the invocation runner reports that a response stream has ended
 *   (`notifyUrl`, test/integration/lambda/invoke.ts), and closes again when the handler returned;
 *   held writes then reach DynamoDB Local and their answers go back.
 * - `fail`: every BatchWriteItem is answered 500 InternalServerError (DynamoDB's JSON error).
 * - `drop`: every BatchWriteItem's connection is destroyed without an answer.
 *
 * Everything that happens is appended to `events`, in the order the proxy saw it, so a test can
 * tell what had been written when the stream ended and when the handler returned.
 */
export type GateMode = "hold" | "fail" | "drop";

export type GateEvent =
  | { kind: "batch-write"; action: "held" | "forwarded" | "failed" | "dropped" }
  | { kind: "batch-write-answered"; status: number; unprocessed: number }
  | { kind: "ended" | "returned"; invocation: number; answered: number; held: number };

export interface BatchWriteGate {
  /** SWIFTBOOT_STORE_ENDPOINT for the code under test. */
  endpoint: string;
  /** invokeBundle's `notifyUrl`. */
  notifyUrl: string;
  readonly events: readonly GateEvent[];
  close(): Promise<void>;
}

const NOTIFY_PATH = "/__gate";

export async function startBatchWriteGate(
  upstream: string,
  mode: GateMode,
): Promise<BatchWriteGate> {
  const target = new URL(upstream);
  const events: GateEvent[] = [];
  let open = false;
  let answered = 0;
  const held: (() => void)[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, write: boolean) => {
    // A held request whose client gave up (its timeout) is not written behind its back.
    if (res.destroyed || res.writableEnded || req.socket.destroyed) return;
    const out = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const text = Buffer.concat(chunks);
          if (write) {
            answered++;
            events.push({
              kind: "batch-write-answered",
              status: answer.statusCode ?? 0,
              unprocessed: unprocessedCount(text),
            });
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      },
    );
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    out.end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gate");
    if (url.pathname === NOTIFY_PATH) {
      const kind = url.searchParams.get("event") === "ended" ? "ended" : "returned";
      events.push({
        kind,
        invocation: Number(url.searchParams.get("n")),
        answered,
        held: held.length,
      });
      open = kind === "ended";
      if (open) for (const release of held.splice(0)) release();
      res.end("ok");
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const isWrite = String(req.headers["x-amz-target"] ?? "").endsWith(".BatchWriteItem");
      if (!isWrite) return forward(req, body, res, false);
      if (mode === "fail") {
        events.push({ kind: "batch-write", action: "failed" });
        res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
        res.end(
          JSON.stringify({
            __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
            message: "held back by the test",
          }),
        );
        return;
      }
      if (mode === "drop") {
        events.push({ kind: "batch-write", action: "dropped" });
        req.socket.destroy();
        return;
      }
      if (open) {
        events.push({ kind: "batch-write", action: "forwarded" });
        return forward(req, body, res, true);
      }
      events.push({ kind: "batch-write", action: "held" });
      held.push(() => forward(req, body, res, true));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    notifyUrl: `http://127.0.0.1:${port}${NOTIFY_PATH}`,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function unprocessedCount(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as {
      UnprocessedItems?: Record<string, unknown[]>;
    };
    return Object.values(parsed.UnprocessedItems ?? {}).reduce((n, items) => n + items.length, 0);
  } catch {
    return -1;
  }
}
