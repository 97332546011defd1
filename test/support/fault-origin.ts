/**
 * A real HTTP origin for artifact-fill tests (node:http on 127.0.0.1, free port): it serves the
 * bytes it is given at a path, counts requests, and can misbehave on demand: cut the connection
 * after N bytes, send wrong bytes of the right length, trickle slowly, pause mid-body until
 * released, stall forever, answer an error status, or omit Content-Length.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  /** Destroys the socket after `afterBytes` bytes of body. */
  | { kind: "cut"; afterBytes: number }
  /** The right length, every byte flipped; with `release`, half is sent before waiting for it. */
  | { kind: "wrong"; release?: Promise<void> }
  | { kind: "status"; status: number }
  /** `chunkBytes` every `delayMs`. */
  | { kind: "slow"; chunkBytes: number; delayMs: number }
  /** Sends `afterBytes`, then waits for `release` before the rest. */
  | { kind: "pause"; afterBytes: number; release: Promise<void> }
  /** Sends `afterBytes`, then nothing, keeping the connection open. */
  | { kind: "stall"; afterBytes: number }
  /** Chunked transfer, no Content-Length. */
  | { kind: "no-length" };

export interface FaultOrigin {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Serves `bytes` at `path` (leading slash), replacing what was there; clears its fault. */
  set(path: string, bytes: Uint8Array): void;
  /** Applies `fault` to every later request for `path` (undefined: behave). */
  fault(path: string, fault: Fault | undefined): void;
  /** GET requests received for `path`, or in total. */
  requests(path?: string): number;
  /** Connections open now. */
  openConnections(): number;
  close(): Promise<void>;
}

export async function startFaultOrigin(): Promise<FaultOrigin> {
  const objects = new Map<string, Uint8Array>();
  const faults = new Map<string, Fault>();
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://origin").pathname;
    if (req.method === "GET") counts.set(path, (counts.get(path) ?? 0) + 1);
    const bytes = objects.get(path);
    if (bytes === undefined) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("no such object\n");
      return;
    }
    const fault = faults.get(path);
    if (fault?.kind === "status") {
      res.writeHead(fault.status, { "Content-Type": "text/plain" }).end("failing on purpose\n");
      return;
    }
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
    if (fault?.kind !== "no-length") headers["Content-Length"] = String(bytes.byteLength);
    res.writeHead(200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    switch (fault?.kind) {
      case undefined:
      case "no-length":
        res.end(bytes);
        return;
      case "wrong": {
        const flipped = bytes.map((b) => b ^ 0xff);
        const half = Math.floor(flipped.byteLength / 2);
        await write(res, flipped.subarray(0, half));
        await fault.release;
        if (!res.destroyed) res.end(flipped.subarray(half));
        return;
      }
      case "cut":
        await write(res, bytes.subarray(0, fault.afterBytes));
        res.destroy();
        return;
      case "pause":
        await write(res, bytes.subarray(0, fault.afterBytes));
        await fault.release;
        if (!res.destroyed) res.end(bytes.subarray(fault.afterBytes));
        return;
      case "stall":
        await write(res, bytes.subarray(0, fault.afterBytes));
        return; // never ends; the socket stays until someone closes it
      case "slow":
        for (let offset = 0; offset < bytes.byteLength; offset += fault.chunkBytes) {
          if (res.destroyed) return;
          await write(res, bytes.subarray(offset, offset + fault.chunkBytes));
          await new Promise((r) => setTimeout(r, fault.delayMs));
        }
        res.end();
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set(path, bytes) {
      objects.set(path, bytes);
      faults.delete(path);
    },
    fault(path, fault) {
      if (fault === undefined) faults.delete(path);
      else faults.set(path, fault);
    },
    requests(path) {
      if (path !== undefined) return counts.get(path) ?? 0;
      let total = 0;
      for (const n of counts.values()) total += n;
      return total;
    },
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes and waits for the kernel to take it (or the socket to die). */
function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || chunk.byteLength === 0) {
      resolve();
      return;
    }
    res.write(chunk, () => resolve());
  });
}
