import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A plain HTTP origin serving fixed bytes by path, counting the requests it answers. */
export async function startOrigin(files: Record<string, string>) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const body = files[req.url ?? ""];
    hits.push(req.url ?? "");
    if (body === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("content-length", String(Buffer.byteLength(body)));
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}
