// The client of Python's socketserver.UDPServer example, ported:
// "socketserver — A framework for network servers", Examples, the client
// side (https://docs.python.org/3/library/socketserver.html). Changes:
// `await`, and the port comes from $PORT (default 9999).
// Run: PORT=9999 deno run --allow-net=localhost --allow-env=PORT examples/socketserver_udp_client.ts hello world
import * as socket from "@pysocket/pysocket";

const [HOST, PORT] = ["localhost", Number(Deno.env.get("PORT") ?? 9999)];
const data = Deno.args.join(" ");

// SOCK_DGRAM is the socket type to use for UDP sockets
const sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);

// As you can see, there is no connect() call; UDP has no connections.
// Instead, data is directly sent to the recipient via sendto().
await sock.sendto(socket.bytes(data + "\n", "utf-8"), [HOST, PORT]);
const received = socket.str(await sock.recv(1024), "utf-8");

console.log(`Sent:     ${data}`);
console.log(`Received: ${received}`);
