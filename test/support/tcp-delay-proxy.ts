import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 for fault tests: it stands in front of a real upstream (DynamoDB
 * Local, a cache bucket, an origin) and can make it slow, silent or rude while the code under
 * test keeps running. The mode applies to connections and data from the moment it is set.
 *
 * - `pass`: bytes flow both ways untouched.
 * - `delay`: upstream→client bytes are held for `delayMs` before being written (the request
 *   reaches the upstream at once; the answer arrives late), like an overloaded or distant store.
 * - `blackhole`: connections are accepted, requests are swallowed, nothing ever comes back.
 * - `reset`: every connection is destroyed as soon as it is accepted.
 * - `cut`: after `cutAfterBytes` upstream→client bytes on a connection, both sides are destroyed
 *   (an origin that dies mid-transfer).
 *
 * Loopback only; every socket and timer is released by `close()`.
 */
export type ProxyMode = "pass" | "delay" | "blackhole" | "reset" | "cut";

export interface TcpDelayProxyOptions {
  /** Upstream, `http://127.0.0.1:port` or `{ host, port }`. */
  upstream: string | { host: string; port: number };
  /** 0 (default) picks a free port. */
  port?: number;
  mode?: ProxyMode;
  delayMs?: number;
  cutAfterBytes?: number;
}

export interface TcpDelayProxy {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  setMode(mode: ProxyMode, options?: { delayMs?: number; cutAfterBytes?: number }): void;
  readonly mode: ProxyMode;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Destroys every open connection (keep-alive sockets included) without changing the mode. */
  dropConnections(): void;
  close(): Promise<void>;
}

function upstreamOf(upstream: TcpDelayProxyOptions["upstream"]): { host: string; port: number } {
  if (typeof upstream !== "string") return upstream;
  const url = new URL(upstream);
  return { host: url.hostname, port: Number(url.port) };
}

export async function startTcpDelayProxy(options: TcpDelayProxyOptions): Promise<TcpDelayProxy> {
  const target = upstreamOf(options.upstream);
  let mode: ProxyMode = options.mode ?? "pass";
  let delayMs = options.delayMs ?? 0;
  let cutAfterBytes = options.cutAfterBytes ?? 0;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A peer reset is expected in fault tests; without a listener it would crash the process.
    socket.on("error", () => {});
  };

  const server: Server = createServer((client) => {
    accepted++;
    track(client);
    if (mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "blackhole") {
      client.on("data", () => {});
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once("close", closeBoth);
    upstream.once("close", () => {
      // Let delayed bytes still in flight reach the client before it is closed.
      if (mode === "delay" && delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          client.end();
        }, delayMs + 5);
        timers.add(t);
      } else {
        client.end();
      }
    });
    client.on("data", (chunk: Buffer) => {
      if (mode === "blackhole") return;
      upstream.write(chunk);
    });
    let sent = 0;
    upstream.on("data", (chunk: Buffer) => {
      if (mode === "blackhole") return;
      if (mode === "cut") {
        const room = cutAfterBytes - sent;
        if (room <= 0) return closeBoth();
        const part = chunk.subarray(0, room);
        sent += part.length;
        client.write(part);
        if (sent >= cutAfterBytes) client.write(Buffer.alloc(0), () => closeBoth());
        return;
      }
      if (mode === "delay" && delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!client.destroyed) client.write(chunk);
        }, delayMs);
        timers.add(t);
        return;
      }
      client.write(chunk);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    setMode(next, opts = {}) {
      mode = next;
      if (opts.delayMs !== undefined) delayMs = opts.delayMs;
      if (opts.cutAfterBytes !== undefined) cutAfterBytes = opts.cutAfterBytes;
    },
    dropConnections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        dropConnections();
        server.close(() => resolve());
      }),
  };
}
