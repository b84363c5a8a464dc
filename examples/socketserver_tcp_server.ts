// Python's socketserver.TCPServer example, ported: "socketserver — A framework
// for network servers", Examples, socketserver.TCPServer Example
// (https://docs.python.org/3/library/socketserver.html). Changes: `await`,
// the port comes from $PORT (default 9999), and the data is printed as text
// where Python prints its bytes repr (b'hello world').
// Run: PORT=9999 deno run --allow-net=localhost --allow-env=PORT examples/socketserver_tcp_server.ts
import * as socket from "@pysocket/pysocket";
import * as socketserver from "@pysocket/pysocket/socketserver";

/**
 * The request handler class for our server.
 *
 * It is instantiated once per connection to the server, and must
 * override the handle() method to implement communication to the
 * client.
 */
class MyTCPHandler extends socketserver.BaseRequestHandler {
  data = "";

  override async handle() {
    // this.request is the TCP socket connected to the client
    this.data = socket.str(await this.request.recv(1024)).trim();
    console.log(`${this.client_address[0]} wrote:`);
    console.log(this.data);
    // just send back the same data, but upper-cased
    await this.request.sendall(socket.bytes(this.data.toUpperCase()));
  }
}

const [HOST, PORT] = ["localhost", Number(Deno.env.get("PORT") ?? 9999)];

// Create the server, binding to localhost on port 9999
await using server = new socketserver.TCPServer([HOST, PORT], MyTCPHandler);
// Activate the server; this will keep running until you
// interrupt the program with Ctrl-C
await server.serve_forever();
