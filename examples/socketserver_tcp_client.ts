// The client of Python's socketserver.TCPServer example, ported:
// "socketserver — A framework for network servers", Examples, the client
// side (https://docs.python.org/3/library/socketserver.html). Changes:
// `await`, and the port comes from $PORT (default 9999).
// Run: PORT=9999 deno run --allow-net=localhost --allow-env=PORT examples/socketserver_tcp_client.ts hello world
import * as socket from "@pysocket/pysocket";

const [HOST, PORT] = ["localhost", Number(Deno.env.get("PORT") ?? 9999)];
const data = Deno.args.join(" ");
let received: string;

// Create a socket (SOCK_STREAM means a TCP socket)
{
  using sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  // Connect to server and send data
  await sock.connect([HOST, PORT]);
  await sock.sendall(socket.bytes(data + "\n", "utf-8"));

  // Receive data from the server and shut down
  received = socket.str(await sock.recv(1024), "utf-8");
}

console.log(`Sent:     ${data}`);
console.log(`Received: ${received}`);
