/**
 * A real HTTP origin serving large files from disk (node:http on 127.0.0.1, free port), for fill
 * tests with artifacts of hundreds of megabytes. Like `python3 -m http.server` (what operators
 * try first), it closes the connection after every response: a FIN right behind the body, which
 * is what Node's built-in fetch crashed on while its reader was paused (nodejs/undici#5360).
 *
 * Each path maps to a file, optionally with a fault applied mid-body: a graceful close (FIN) or a
 * reset (RST) after N bytes, a Content-Length that lies (more or fewer bytes than the body), a
 * stall, a trickle until the test releases it (a fill held in progress), or one byte flipped.
 * Bodies are streamed from the file with backpressure, never held in memory.
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type FileFault =
  /** Closes the connection (FIN) after `afterBytes` bytes of body. */
  | { kind: "cut"; afterBytes: number }
  /** Resets the connection (RST) after `afterBytes` bytes of body. */
  | { kind: "reset"; afterBytes: number }
  /** Content-Length says the file's size plus `delta` (negative: fewer); the body is the file. */
  | { kind: "claim"; delta: number }
  /** The whole file, then `extraBytes` more than Content-Length announced, then the close. */
  | { kind: "overlong"; extraBytes: number }
  /** Sends `afterBytes`, then nothing, keeping the connection open until the client leaves. */
  | { kind: "stall"; afterBytes: number }
  /**
   * Sends `afterBytes`, then a trickle (1 KiB every 100 ms: never idle long enough to time out)
   * until `release`, then the rest at full speed.
   */
  | { kind: "hold"; afterBytes: number; release: Promise<void> }
  /** Byte `at` is sent inverted. */
  | { kind: "flip"; at: number };

export interface FileOrigin {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Serves `file` at `path` (leading slash), with `fault` if given. */
  serve(path: string, file: string, fault?: FileFault): void;
  /** GET requests received for `path`. */
  requests(path: string): number;
  /** Resolves once a request for `path` has sent its bytes up to a `hold` or `stall` fault. */
  reached(path: string): Promise<void>;
  close(): Promise<void>;
}

const CHUNK_BYTES = 1024 * 1024;
const TRICKLE_BYTES = 1024;

export async function startFileOrigin(): Promise<FileOrigin> {
  const routes = new Map<string, { file: string; fault: FileFault | undefined }>();
  const counts = new Map<string, number>();
  const reachedWaiters = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const sockets = new Set<Socket>();

  const reachedOf = (path: string) => {
    let entry = reachedWaiters.get(path);
    if (entry === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      reachedWaiters.set(path, entry);
    }
    return entry;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://origin").pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route === undefined || req.method !== "GET") {
      res.writeHead(404, { Connection: "close" }).end("no such file\n");
      return;
    }
    const { size } = await stat(route.file);
    const fault = route.fault;
    const claimed = fault?.kind === "claim" ? size + fault.delta : size;
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(claimed),
      Connection: "close",
    });
    const stopAt =
      fault?.kind === "cut" ||
      fault?.kind === "reset" ||
      fault?.kind === "stall" ||
      fault?.kind === "hold"
        ? fault.afterBytes
        : size;
    let sent = 0;
    const source = createReadStream(route.file, { highWaterMark: CHUNK_BYTES });
    try {
      for await (const data of source) {
        let chunk = data as Buffer;
        if (sent + chunk.byteLength > stopAt) chunk = chunk.subarray(0, stopAt - sent);
        if (fault?.kind === "flip" && fault.at >= sent && fault.at < sent + chunk.byteLength) {
          chunk = Buffer.from(chunk);
          chunk[fault.at - sent] = (chunk[fault.at - sent] as number) ^ 0xff;
        }
        if (!(await write(res, chunk))) return; // the client left
        sent += chunk.byteLength;
        if (sent >= stopAt) break;
      }
    } finally {
      source.destroy();
    }
    switch (fault?.kind) {
      case "cut":
        res.socket?.end();
        return;
      case "reset":
        res.socket?.resetAndDestroy();
        return;
      case "stall":
        reachedOf(path).resolve();
        if (!res.destroyed) await once(res, "close");
        return;
      case "hold": {
        reachedOf(path).resolve();
        let released = false;
        void fault.release.then(() => {
          released = true;
        });
        const trickle = Buffer.alloc(TRICKLE_BYTES);
        while (!released) {
          const { bytesRead } = await readAt(route.file, trickle, sent);
          if (!(await write(res, trickle.subarray(0, bytesRead)))) return;
          sent += bytesRead;
          await new Promise((r) => setTimeout(r, 100));
        }
        const rest = createReadStream(route.file, { start: sent, highWaterMark: CHUNK_BYTES });
        for await (const data of rest) {
          if (!(await write(res, data as Buffer))) return;
        }
        res.end();
        return;
      }
      case "overlong":
        await write(res, Buffer.alloc(fault.extraBytes, 0x5a));
        res.socket?.end();
        return;
      default:
        res.end();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serve(path, file, fault) {
      routes.set(path, { file, fault });
      reachedWaiters.delete(path);
    },
    requests: (path) => counts.get(path) ?? 0,
    reached: (path) => reachedOf(path).promise,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function readAt(
  file: string,
  buffer: Buffer,
  position: number,
): Promise<{ bytesRead: number }> {
  const handle = await open(file, "r");
  try {
    return await handle.read(buffer, 0, buffer.byteLength, position);
  } finally {
    await handle.close();
  }
}

/** Writes with backpressure; false when the connection is gone. */
async function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed) return false;
  if (chunk.byteLength === 0) return true;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
  return !res.destroyed;
}
