// QEMU's guestfwd runs this once per guest connection, its stdin and stdout being that
// connection: the bytes go to a server on the host's loopback (argv[2] is the port). It lets a
// binary with a fixed chain URL (https://10.0.2.100/boot.ipxe) reach a server on any free port.
import { connect } from "node:net";

const socket = connect(Number(process.argv[2]), "127.0.0.1");
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on("error", () => process.exit(1));
socket.on("close", () => process.exit(0));
