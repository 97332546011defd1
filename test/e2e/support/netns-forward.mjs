// Runs inside the test's network namespace: accepts TCP on <address>:<port> there and hands each
// connection to the Unix socket <socket>, where the test process (in the host's namespace)
// passes it on to swiftboot on 127.0.0.1. A Unix socket is a file, so it crosses namespaces.
import { connect, createServer } from "node:net";

const [address, port, socket] = process.argv.slice(2);
const server = createServer((client) => {
  const upstream = connect(socket);
  client.pipe(upstream);
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
});
server.listen(Number(port), address, () => console.log("forwarding"));
