/**
 * socketserver's stream servers on real loopback sockets: the handlers of
 * Python's docs, `rfile`/`wfile`, `shutdown()` from a handler, a handler
 * that throws, `handle_request` with a timeout, Unix sockets, port reuse.
 * Clients are python3 programs where Python's behaviour is the point.
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
import { sleep, within } from "../_support/wait.ts";

const python = needs("python");
const pythonUnix = needs("python", "unix-sockets");

function portOf(server: socketserver.TCPServer): number {
  return (server.server_address as [string, number])[1];
}

/** Python's `MyTCPHandler` from the socketserver docs. */
class MyTCPHandler extends socketserver.BaseRequestHandler {
  data: Uint8Array = new Uint8Array();
  override async handle() {
    this.data = socket.bytes(socket.str(await this.request.recv(1024)).trim());
    await this.request.sendall(
      socket.bytes(socket.str(this.data).toUpperCase()),
    );
  }
}

/** Runs a python3 client program with the server's port as argv[1]. */
async function pythonClient(code: string, port: number | string) {
  const done = await runPython(code, [String(port)], { timeoutMs: WAIT_MS });
  assert.equal(done.code, 0, done.stderr);
  return done.stdout;
}

const DOCS_CLIENT = `
import socket, sys
HOST, PORT = "127.0.0.1", int(sys.argv[1])
data = "hello world"
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.connect((HOST, PORT))
    sock.sendall(bytes(data + "\\n", "utf-8"))
    received = str(sock.recv(1024), "utf-8")
print("Sent:     {}".format(data))
print("Received: {}".format(received))
`;

Deno.test(
  `TCPServer with the docs' MyTCPHandler answers the docs' python3 client in capitals${python.why}`,
  { ignore: python.ignore },
  async () => {
    await using server = new socketserver.TCPServer(
      ["127.0.0.1", 0],
      MyTCPHandler,
    );
    const serving = server.serve_forever();
    const out = await pythonClient(DOCS_CLIENT, portOf(server));
    assert.equal(out, "Sent:     hello world\nReceived: HELLO WORLD\n");
    await server.shutdown();
    await serving;
  },
);

Deno.test("server_address holds the port the OS chose for port 0", async () => {
  await using server = new socketserver.TCPServer(
    ["127.0.0.1", 0],
    MyTCPHandler,
  );
  const [host, port] = server.server_address as [string, number];
  assert.equal(host, "127.0.0.1");
  assert.ok(port > 0);
  assert.deepEqual(server.socket.getsockname(), ["127.0.0.1", port]);
  assert.equal(server.fileno(), server.socket.fileno());
});

Deno.test(
  `StreamRequestHandler reads lines with rfile.readline and answers with wfile.write${python.why}`,
  { ignore: python.ignore },
  async () => {
    class Lines extends socketserver.StreamRequestHandler {
      override async handle() {
        let count = 0;
        while (true) {
          const line = await this.rfile.readline();
          if (line.length === 0) break;
          count++;
          await this.wfile.write(
            socket.bytes(`${count}: ${socket.str(line).toUpperCase()}`),
          );
        }
        await this.wfile.write(socket.bytes(`${count} lines\n`));
      }
    }
    await using server = new socketserver.TCPServer(["127.0.0.1", 0], Lines);
    const serving = server.serve_forever();
    const out = await pythonClient(
      `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as sock:
    f = sock.makefile("rwb")
    f.write(b"one\\ntw")
    f.flush()
    print(f.readline().decode(), end="")
    f.write("o é\\nthree\\n".encode())
    f.flush()
    print(f.readline().decode(), end="")
    print(f.readline().decode(), end="")
    sock.shutdown(socket.SHUT_WR)
    print(f.read().decode(), end="")
`,
      portOf(server),
    );
    assert.equal(out, "1: ONE\n2: TWO É\n3: THREE\n3 lines\n");
    await server.shutdown();
    await serving;
  },
);

Deno.test("StreamRequestHandler with wbufsize holds writes in a buffered makefile until finish flushes them", async () => {
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => wrote = resolve);
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  class Buffered extends socketserver.StreamRequestHandler {
    static override wbufsize = 8192;
    override async handle() {
      await this.wfile.write(socket.bytes("held "));
      await this.wfile.write(socket.bytes("until finish\n"));
      wrote();
      await released;
    }
  }
  await using server = new socketserver.TCPServer(["127.0.0.1", 0], Buffered);
  const handling = server.handle_request();
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await within(written, WAIT_MS, "the handler's writes");
  client.settimeout(0.2);
  await assert.rejects(() => client.recv(100), socket.TimeoutError);
  release();
  await handling;
  client.settimeout(WAIT_MS / 1000);
  assert.equal(socket.str(await client.recv(100)), "held until finish\n");
});

Deno.test("StreamRequestHandler's static timeout applies to the connection", async () => {
  let caught: unknown = null;
  class Slow extends socketserver.StreamRequestHandler {
    static override timeout = 0.2;
    override async handle() {
      try {
        await this.rfile.readline();
      } catch (err) {
        caught = err;
      }
    }
  }
  await using server = new socketserver.TCPServer(["127.0.0.1", 0], Slow);
  const handling = server.handle_request();
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await handling;
  assert.ok(caught instanceof socket.TimeoutError, String(caught));
  // The server shut the connection down after the handler.
  assert.equal((await client.recv(10)).length, 0);
});

Deno.test("shutdown() awaited from a handler ends serve_forever without deadlock", async () => {
  const events: string[] = [];
  class Stopper extends socketserver.BaseRequestHandler {
    override async handle() {
      events.push("handle");
      await this.server.shutdown();
      events.push("shutdown returned");
      await this.request.sendall(socket.bytes("stopped"));
    }
  }
  await using server = new socketserver.TCPServer(["127.0.0.1", 0], Stopper);
  const serving = server.serve_forever(60).then(() => events.push("served"));
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  assert.equal(
    socket.str(await within(client.recv(100), WAIT_MS, "the reply")),
    "stopped",
  );
  await within(serving, WAIT_MS, "serve_forever's end");
  assert.deepEqual(events, ["handle", "shutdown returned", "served"]);
});

Deno.test("shutdown() from outside ends an idle serve_forever at once and resolves after it returned", async () => {
  await using server = new socketserver.TCPServer(
    ["127.0.0.1", 0],
    MyTCPHandler,
  );
  let returned = false;
  // A long poll interval: shutdown must not wait for it.
  const serving = server.serve_forever(3600).then(() => returned = true);
  await sleep(50);
  await within(server.shutdown(), WAIT_MS, "shutdown()");
  assert.ok(returned, "shutdown resolved before serve_forever returned");
  await serving;
  // The server serves again after a shutdown.
  const again = server.serve_forever();
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await client.sendall(socket.bytes("again"));
  assert.equal(socket.str(await client.recv(100)), "AGAIN");
  await server.shutdown();
  await again;
});

Deno.test("a handler that throws goes to handle_error, which prints the client and the error, and the server goes on serving", async () => {
  class Flaky extends socketserver.BaseRequestHandler {
    override async handle() {
      const data = socket.str(await this.request.recv(100));
      if (data === "boom") throw new Error("the handler failed on purpose");
      await this.request.sendall(socket.bytes(`ok ${data}`));
    }
  }
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    await using server = new socketserver.TCPServer(["127.0.0.1", 0], Flaky);
    const serving = server.serve_forever();
    const address = server.server_address as [string, number];
    const bad = await socket.create_connection(address);
    const badPort = (bad.getsockname() as [string, number])[1];
    await bad.sendall(socket.bytes("boom"));
    // The failed request was still shut down and closed.
    assert.equal((await bad.recv(10)).length, 0);
    bad.close();
    using good = await socket.create_connection(address);
    await good.sendall(socket.bytes("fine"));
    assert.equal(socket.str(await good.recv(100)), "ok fine");
    await server.shutdown();
    await serving;
    assert.equal(printed.length, 1);
    const lines = printed[0].split("\n");
    assert.equal(lines[0], "-".repeat(40));
    assert.equal(
      lines[1],
      `Exception occurred during processing of request from ('127.0.0.1', ${badPort})`,
    );
    assert.match(lines[2], /^Error: the handler failed on purpose$/);
    assert.equal(lines.at(-1), "-".repeat(40));
  } finally {
    console.error = original;
  }
});

Deno.test("handle_request with a timeout calls handle_timeout, and a client arriving later is served by the next call", async () => {
  let timeouts = 0;
  class Timed extends socketserver.TCPServer {
    static override timeout = 0.1;
    override handle_timeout() {
      timeouts++;
    }
  }
  await using server = new Timed(["127.0.0.1", 0], MyTCPHandler);
  await server.handle_request();
  assert.equal(timeouts, 1);
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await client.sendall(socket.bytes("late"));
  await server.handle_request();
  assert.equal(timeouts, 1);
  assert.equal(socket.str(await client.recv(100)), "LATE");
});

Deno.test("handle_request respects the socket's own timeout, the shorter of the two", async () => {
  let timeouts = 0;
  class Patient extends socketserver.TCPServer {
    static override timeout = 3600;
    override handle_timeout() {
      timeouts++;
    }
  }
  await using server = new Patient(["127.0.0.1", 0], MyTCPHandler);
  server.socket.settimeout(0.1);
  await server.handle_request();
  assert.equal(timeouts, 1);
});

Deno.test("verify_request returning false closes the connection unhandled", async () => {
  let handled = 0;
  class Counting extends socketserver.BaseRequestHandler {
    override handle() {
      handled++;
    }
  }
  class Refusing extends socketserver.TCPServer {
    override verify_request() {
      return false;
    }
  }
  await using server = new Refusing(["127.0.0.1", 0], Counting);
  const handling = server.handle_request();
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await handling;
  assert.equal((await client.recv(10)).length, 0);
  assert.equal(handled, 0);
});

Deno.test("setup, handle and finish run in order after the constructor, finish even when handle throws", async () => {
  const order: string[] = [];
  class Ordered extends socketserver.BaseRequestHandler {
    label = "field set";
    constructor(
      request: socket.Socket,
      client_address: socket.Address,
      server: socketserver.BaseServer,
    ) {
      super(request, client_address, server);
      order.push("constructor");
    }
    override setup() {
      order.push(`setup (${this.label})`);
    }
    override async handle() {
      await Promise.resolve();
      order.push("handle");
      throw new Error("handle failed");
    }
    override finish() {
      order.push("finish");
    }
  }
  class Quiet extends socketserver.TCPServer {
    override handle_error(
      _request: socketserver.Request,
      _client_address: socket.Address,
      error: unknown,
    ) {
      order.push(`handle_error: ${(error as Error).message}`);
    }
  }
  await using server = new Quiet(["127.0.0.1", 0], Ordered);
  const handling = server.handle_request();
  using _client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await handling;
  assert.deepEqual(order, [
    "constructor",
    "setup (field set)",
    "handle",
    "finish",
    "handle_error: handle failed",
  ]);
});

Deno.test("bind_and_activate false leaves binding to the caller", async () => {
  await using server = new socketserver.TCPServer(
    ["127.0.0.1", 0],
    MyTCPHandler,
    false,
  );
  assert.deepEqual(server.server_address, ["127.0.0.1", 0]);
  server.server_bind();
  server.server_activate();
  assert.ok(socketserverPort(server) > 0);
  const handling = server.handle_request();
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await client.sendall(socket.bytes("x"));
  await handling;
  assert.equal(socket.str(await client.recv(10)), "X");
});

function socketserverPort(server: socketserver.TCPServer): number {
  return portOf(server);
}

Deno.test("allow_reuse_port lets two servers bind the same port (Linux)", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  class Shared extends socketserver.TCPServer {
    static override allow_reuse_port = true;
  }
  await using first = new Shared(["127.0.0.1", 0], MyTCPHandler);
  await using second = new Shared(
    ["127.0.0.1", portOf(first)],
    MyTCPHandler,
  );
  assert.equal(portOf(second), portOf(first));
  await assert.rejects(async () => {
    await using _third = new socketserver.TCPServer(
      ["127.0.0.1", portOf(first)],
      MyTCPHandler,
    );
  }, socket.OSError);
});

Deno.test("a TCP port already in use is an OSError from the constructor, and the socket is closed", () => {
  const taken = new socketserver.TCPServer(["127.0.0.1", 0], MyTCPHandler);
  try {
    assert.throws(
      () => new socketserver.TCPServer(taken.server_address, MyTCPHandler),
      socket.OSError,
    );
  } finally {
    taken.server_close();
  }
});

Deno.test(
  `UnixStreamServer serves a python3 AF_UNIX client on a temporary path${pythonUnix.why}`,
  { ignore: pythonUnix.ignore },
  async () => {
    using dir = tempDir();
    const path = dir.join("echo.sock");
    await using server = new socketserver.UnixStreamServer(path, MyTCPHandler);
    assert.equal(server.server_address, path);
    const serving = server.serve_forever();
    const out = await pythonClient(
      `
import socket, sys
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
    sock.connect(sys.argv[1])
    sock.sendall(b"over unix\\n")
    print(str(sock.recv(1024), "utf-8"))
`,
      path,
    );
    assert.equal(out, "OVER UNIX\n");
    await server.shutdown();
    await serving;
  },
);

Deno.test("server_close closes the socket: fileno() is -1 and clients are refused", async () => {
  const server = new socketserver.TCPServer(["127.0.0.1", 0], MyTCPHandler);
  const address = server.server_address as [string, number];
  await server.server_close();
  assert.equal(server.fileno(), -1);
  await assert.rejects(
    () => socket.create_connection(address),
    socket.ConnectionRefusedError,
  );
});

Deno.test("a failing get_request (an OSError) does not end serve_forever, and service_actions runs while idle", async () => {
  let failures = 0;
  let actions = 0;
  class Unlucky extends socketserver.TCPServer {
    override async get_request() {
      if (failures < 2) {
        failures++;
        throw new socket.OSError(24, "Too many open files");
      }
      return await super.get_request();
    }
    override service_actions() {
      actions++;
    }
  }
  await using server = new Unlucky(["127.0.0.1", 0], MyTCPHandler);
  const serving = server.serve_forever(0.05);
  using client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await client.sendall(socket.bytes("through"));
  assert.equal(
    socket.str(await within(client.recv(100), WAIT_MS, "the reply")),
    "THROUGH",
  );
  assert.equal(failures, 2);
  assert.ok(actions >= 2, `service_actions ran ${actions} times`);
  await server.shutdown();
  await serving;
});

Deno.test(
  "a handler of a UnixStreamServer sees Python's client_address for an unnamed client, ''",
  {
    ignore: needs("unix-sockets").ignore,
  },
  async () => {
    using dir = tempDir();
    const seen: socket.Address[] = [];
    class Recording extends socketserver.BaseRequestHandler {
      override handle() {
        seen.push(this.client_address);
      }
    }
    await using server = new socketserver.UnixStreamServer(
      dir.join("s.sock"),
      Recording,
    );
    const handling = server.handle_request();
    using client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    await client.connect(server.server_address);
    await handling;
    assert.deepEqual(seen, [""]);
  },
);
