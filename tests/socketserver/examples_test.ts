/**
 * The socketserver examples of Python's documentation, ported in
 * `examples/socketserver_*.ts`, run against the same programs in python3
 * in both directions: our server with Python's client, Python's server
 * with our client. The clients' output must be Python's, exactly.
 *
 * The servers print nothing when they start, so a client starts once
 * `/proc/net` shows the port bound: these run on Linux.
 *
 * The docs' UDP client never binds: its first `sendto` binds the wildcard,
 * 0.0.0.0. Its code stays verbatim, so the test that runs it runs in a
 * private network namespace ({@linkcode isolatedTest}): tests never listen
 * on the wildcard where the network can reach.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, waitUntilBound } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { isolatedTest } from "../_support/isolated_net.ts";
import { Child } from "../_support/process.ts";
import { pythonChild } from "../_support/python.ts";

const pythonBound = needs("python", "proc");

/** The docs' programs, with the port from $PORT as in the ports. */
const PYTHON: Record<string, string> = {
  tcp_server: `
import os, socketserver

class MyTCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        # self.request is the TCP socket connected to the client
        self.data = self.request.recv(1024).strip()
        print("{} wrote:".format(self.client_address[0]))
        print(self.data)
        # just send back the same data, but upper-cased
        self.request.sendall(self.data.upper())

if __name__ == "__main__":
    HOST, PORT = "localhost", int(os.environ.get("PORT", 9999))
    with socketserver.TCPServer((HOST, PORT), MyTCPHandler) as server:
        server.serve_forever()
`,
  tcp_client: `
import os, socket, sys

HOST, PORT = "localhost", int(os.environ.get("PORT", 9999))
data = " ".join(sys.argv[1:])

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.connect((HOST, PORT))
    sock.sendall(bytes(data + "\\n", "utf-8"))
    received = str(sock.recv(1024), "utf-8")

print("Sent:     {}".format(data))
print("Received: {}".format(received))
`,
  udp_server: `
import os, socketserver

class MyUDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request[0].strip()
        socket = self.request[1]
        print("{} wrote:".format(self.client_address[0]))
        print(data)
        socket.sendto(data.upper(), self.client_address)

if __name__ == "__main__":
    HOST, PORT = "localhost", int(os.environ.get("PORT", 9999))
    with socketserver.UDPServer((HOST, PORT), MyUDPHandler) as server:
        server.serve_forever()
`,
  udp_client: `
import os, socket, sys

HOST, PORT = "localhost", int(os.environ.get("PORT", 9999))
data = " ".join(sys.argv[1:])

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(bytes(data + "\\n", "utf-8"), (HOST, PORT))
received = str(sock.recv(1024), "utf-8")

print("Sent:     {}".format(data))
print("Received: {}".format(received))
`,
};

type Side = "deno" | "python";

/** Starts one program, ours (with the grants it needs) or Python's. */
function start(side: Side, name: string, port: number, args: string[] = []) {
  const env = { PORT: String(port) };
  if (side === "python") return pythonChild(PYTHON[name], args, { env });
  // The UDP programs answer, or bind for sending, on 127.0.0.1 itself.
  const net = name.startsWith("udp") ? "localhost,127.0.0.1" : "localhost";
  return new Child(Deno.execPath(), [
    "run",
    "--no-prompt",
    `--allow-net=${net}`,
    "--allow-env=PORT",
    `examples/socketserver_${name}.ts`,
    ...args,
  ], { env });
}

/** One request: `hello world` from the client. Returns both outputs. */
async function exchange(kind: "tcp" | "udp", server: Side, client: Side) {
  const port = freePort("127.0.0.1");
  await using srv = start(server, `${kind}_server`, port);
  await waitUntilBound(port, kind, srv);
  await using cli = start(client, `${kind}_client`, port, ["hello", "world"]);
  const done = await cli.finished();
  assert.equal(done.code, 0, cli.report());
  await srv.waitFor("stdout", /hello world'?\n/);
  assert.equal(srv.exited, false, "the server keeps serving");
  return { server: srv.stdout, client: done.stdout };
}

const CLIENT_SAYS = "Sent:     hello world\nReceived: HELLO WORLD\n";

for (const kind of ["tcp", "udp"] as const) {
  const name = `examples/socketserver_${kind}_server.ts`;
  const answers = async () => {
    const { server, client } = await exchange(kind, "deno", "python");
    assert.equal(client, CLIENT_SAYS);
    assert.equal(server, "127.0.0.1 wrote:\nhello world\n");
  };
  const answersName =
    `${name} answers the docs' python3 ${kind.toUpperCase()} client${pythonBound.why}`;
  if (kind === "udp") {
    // The docs' UDP client binds the wildcard: isolated (see the module doc).
    isolatedTest(import.meta.url, answersName, answers, pythonBound.ignore);
  } else {
    Deno.test({ name: answersName, ignore: pythonBound.ignore, fn: answers });
  }
  Deno.test(
    `examples/socketserver_${kind}_client.ts gets its answer from the docs' python3 ${kind.toUpperCase()} server${pythonBound.why}`,
    { ignore: pythonBound.ignore },
    async () => {
      const { server, client } = await exchange(kind, "python", "deno");
      assert.equal(client, CLIENT_SAYS);
      assert.equal(server, "127.0.0.1 wrote:\nb'hello world'\n");
    },
  );
}
