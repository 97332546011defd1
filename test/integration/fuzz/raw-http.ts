import { connect } from "node:net";

/**
 * One HTTP/1.1 exchange written byte for byte on a fresh TCP connection to 127.0.0.1, so the
 * request line and headers can hold what no well-behaved client would send (spaces, NULs, bare
 * CRs, huge values, junk Host). Reads until the server closes (`Connection: close`).
 */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
  /** The bytes as received, for messages. */
  raw: string;
}

export function rawRequest(
  port: number,
  head: string,
  timeoutMs = 10_000,
): Promise<RawResponse | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (value: RawResponse | { error: string }) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done({ error: `no answer within ${timeoutMs} ms` }));
    socket.on("data", (d: Buffer) => chunks.push(d));
    // A reset after a complete answer (the server closing a connection it refused) is fine.
    socket.on("error", (e) => {
      const parsed = parseResponse(Buffer.concat(chunks));
      done(parsed ?? { error: e.message });
    });
    socket.on("end", () => {
      const parsed = parseResponse(Buffer.concat(chunks));
      done(
        parsed ?? {
          error: `unparseable answer: ${Buffer.concat(chunks).toString("latin1").slice(0, 200)}`,
        },
      );
    });
    socket.write(Buffer.from(head, "utf8"));
  });
}

function parseResponse(bytes: Buffer): RawResponse | undefined {
  const raw = bytes.toString("latin1");
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [statusLine, ...headerLines] = raw.slice(0, headEnd).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1];
  if (status === undefined) return undefined;
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(Buffer.byteLength(raw.slice(0, headEnd + 4), "latin1"));
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") body = dechunk(body);
  else if (headers.has("content-length"))
    body = body.subarray(0, Number(headers.get("content-length")));
  return { status: Number(status), headers, body: body.toString("utf8"), raw };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf("\r\n", at, "latin1");
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
