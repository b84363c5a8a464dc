/**
 * socketserver's datagram servers on real loopback sockets: the docs'
 * `MyUDPHandler` against a python3 client, `DatagramRequestHandler`'s
 * files, `ThreadingUDPServer`, Unix datagrams.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import * as socketserver from "../../lib/socketserver/mod.ts";
import { needs } from "../_support/platform.ts";
import { runPython } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { WAIT_MS } from "../_support/paths.ts";
import { within } from "../_support/wait.ts";

const python = needs("python");
const unix = needs("unix-sockets");

function portOf(server: socketserver.TCPServer): number {
  return (server.server_address as [string, number])[1];
}

/** Python's `MyUDPHandler` from the socketserver docs. */
class MyUDPHandler
  extends socketserver.BaseRequestHandler<socketserver.DatagramRequest> {
  override async handle() {
    const data = socket.str(this.request[0]).trim();
    const sock = this.request[1];
    await sock.sendto(socket.bytes(data.toUpperCase()), this.client_address);
  }
}

// The docs' client, with a timeout and one line added: `sock.bind((HOST, 0))`,
// since its first sendto would bind the wildcard (tests never listen there).
Deno.test(
  `UDPServer with the docs' MyUDPHandler answers the docs' python3 client${python.why}`,
  { ignore: python.ignore },
  async () => {
    await using server = new socketserver.UDPServer(
      ["127.0.0.1", 0],
      MyUDPHandler,
    );
    const serving = server.serve_forever();
    const done = await runPython(
      `
import socket, sys
HOST, PORT = "127.0.0.1", int(sys.argv[1])
data = "hello datagram"
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((HOST, 0))  # Tests never listen on the wildcard.
sock.settimeout(10)
sock.sendto(bytes(data + "\\n", "utf-8"), (HOST, PORT))
received = str(sock.recv(1024), "utf-8")
print("Sent:     {}".format(data))
print("Received: {}".format(received))
`,
      [String(portOf(server))],
      { timeoutMs: WAIT_MS },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      done.stdout,
      "Sent:     hello datagram\nReceived: HELLO DATAGRAM\n",
    );
    await server.shutdown();
    await serving;
  },
);

Deno.test("DatagramRequestHandler reads the datagram with rfile and sends what wfile collected after finish", async () => {
  const seen: string[] = [];
  class Lines extends socketserver.DatagramRequestHandler {
    override async handle() {
      const lines = await this.rfile.readlines();
      for (const line of lines) {
        await this.wfile.write(socket.bytes(socket.str(line).toUpperCase()));
      }
      await this.wfile.write(socket.bytes(`${lines.length} lines`));
      seen.push("handled");
    }
    override async finish() {
      seen.push("finish");
      await super.finish();
    }
  }
  await using server = new socketserver.UDPServer(["127.0.0.1", 0], Lines);
  using client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  client.bind(["127.0.0.1", 0]); // Tests never listen on the wildcard.
  client.settimeout(WAIT_MS / 1000);
  await client.sendto(socket.bytes("one\ntwo\n"), server.server_address);
  await server.handle_request();
  assert.deepEqual(seen, ["handled", "finish"]);
  const [reply, from] = await client.recvfrom(1024);
  assert.equal(socket.str(reply), "ONE\nTWO\n2 lines");
  assert.deepEqual(from, server.server_address);
});

Deno.test("UDPServer cuts datagrams longer than max_packet_size", async () => {
  class Small extends socketserver.UDPServer {
    static override max_packet_size = 4;
  }
  await using server = new Small(["127.0.0.1", 0], MyUDPHandler);
  using client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  client.bind(["127.0.0.1", 0]); // Tests never listen on the wildcard.
  client.settimeout(WAIT_MS / 1000);
  await client.sendto(socket.bytes("abcdefgh"), server.server_address);
  await server.handle_request();
  assert.equal(socket.str(await client.recv(100)), "ABCD");
});

Deno.test("ThreadingUDPServer handles two datagrams at once", async () => {
  let arrived = 0;
  let open!: () => void;
  const both = new Promise<void>((resolve) => open = resolve);
  class Together
    extends socketserver.BaseRequestHandler<socketserver.DatagramRequest> {
    override async handle() {
      if (++arrived === 2) open();
      await within(both, WAIT_MS, "the other datagram's handler");
      await this.request[1].sendto(
        socket.bytes("together"),
        this.client_address,
      );
    }
  }
  await using server = new socketserver.ThreadingUDPServer(
    ["127.0.0.1", 0],
    Together,
  );
  const serving = server.serve_forever();
  using a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  using b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  // Tests never listen on the wildcard.
  a.bind(["127.0.0.1", 0]);
  b.bind(["127.0.0.1", 0]);
  a.settimeout(WAIT_MS / 1000);
  b.settimeout(WAIT_MS / 1000);
  await a.sendto(socket.bytes("a"), server.server_address);
  await b.sendto(socket.bytes("b"), server.server_address);
  assert.equal(socket.str(await a.recv(100)), "together");
  assert.equal(socket.str(await b.recv(100)), "together");
  await server.shutdown();
  await serving;
});

Deno.test("allow_reuse_port on a UDP server is an OSError naming Deno's limit", () => {
  class Shared extends socketserver.UDPServer {
    static override allow_reuse_port = true;
  }
  assert.throws(
    () => new Shared(["127.0.0.1", 0], MyUDPHandler),
    (err: unknown) =>
      err instanceof socket.OSError && /SO_REUSEPORT/.test(err.message),
  );
});

Deno.test(
  `UnixDatagramServer answers a datagram from a bound Unix client${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    using dir = tempDir();
    await using server = new socketserver.UnixDatagramServer(
      dir.join("server.sock"),
      MyUDPHandler,
    );
    using client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);
    client.bind(dir.join("client.sock"));
    client.settimeout(WAIT_MS / 1000);
    await client.sendto(socket.bytes("unix datagram"), server.server_address);
    await server.handle_request();
    assert.equal(socket.str(await client.recv(100)), "UNIX DATAGRAM");
  },
);

Deno.test(
  "allow_reuse_address lets two UDP servers bind one port, as SO_REUSEADDR does",
  {
    ignore: Deno.build.os !== "linux",
  },
  async () => {
    class Shared extends socketserver.UDPServer {
      static override allow_reuse_address = true;
    }
    await using first = new Shared(["127.0.0.1", 0], MyUDPHandler);
    await using second = new Shared(
      ["127.0.0.1", portOf(first)],
      MyUDPHandler,
    );
    assert.equal(portOf(second), portOf(first));
    assert.equal(
      second.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
      1,
    );
  },
);
