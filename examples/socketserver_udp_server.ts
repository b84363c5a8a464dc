// Python's socketserver.UDPServer example, ported: "socketserver — A framework
// for network servers", Examples, socketserver.UDPServer Example
// (https://docs.python.org/3/library/socketserver.html). Changes: `await`,
// the port comes from $PORT (default 9999), and the data is printed as text
// where Python prints its bytes repr (b'hello world').
// Run: PORT=9999 deno run --allow-net=localhost,127.0.0.1 --allow-env=PORT examples/socketserver_udp_server.ts
// (127.0.0.1: the replies go to the clients' ports.)
import * as socket from "@pysocket/pysocket";
import * as socketserver from "@pysocket/pysocket/socketserver";

/**
 * This class works similar to the TCP handler class, except that
 * this.request consists of a pair of data and client socket, and since
 * there is no connection the client address must be given explicitly
 * when sending data back via sendto().
 */
class MyUDPHandler
  extends socketserver.BaseRequestHandler<socketserver.DatagramRequest> {
  override async handle() {
    const data = socket.str(this.request[0]).trim();
    const sock = this.request[1];
    console.log(`${this.client_address[0]} wrote:`);
    console.log(data);
    await sock.sendto(socket.bytes(data.toUpperCase()), this.client_address);
  }
}

const [HOST, PORT] = ["localhost", Number(Deno.env.get("PORT") ?? 9999)];
await using server = new socketserver.UDPServer([HOST, PORT], MyUDPHandler);
await server.serve_forever();
