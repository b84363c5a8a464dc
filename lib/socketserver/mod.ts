/**
 * Python's `socketserver` module: servers that accept requests and hand
 * each to a handler class, ported so that a Python program reads the same
 * with `await` as the only change.
 *
 * | Python                                          | pysocket                                                         |
 * | ----------------------------------------------- | ---------------------------------------------------------------- |
 * | `import socketserver`                           | `import * as socketserver from "@pysocket/pysocket/socketserver"` |
 * | `class H(socketserver.BaseRequestHandler):`     | `class H extends socketserver.BaseRequestHandler {`               |
 * | `def handle(self):`                             | `override async handle() {`                                       |
 * | `self.request.recv(1024)`                       | `await this.request.recv(1024)`                                   |
 * | `data, sock = self.request` (UDP)               | `const [data, sock] = this.request` (`BaseRequestHandler<DatagramRequest>`) |
 * | `self.rfile.readline()`, `self.wfile.write(b)`  | `await this.rfile.readline()`, `await this.wfile.write(b)`        |
 * | `with socketserver.TCPServer((HOST, PORT), H) as server:` | `await using server = new socketserver.TCPServer([HOST, PORT], H);` |
 * | `server.serve_forever()`                        | `await server.serve_forever()`                                    |
 * | `server.shutdown()` (from another thread)       | `await server.shutdown()` (from anywhere, a handler included)     |
 * | `server.handle_request()`                       | `await server.handle_request()`                                   |
 * | `class S(socketserver.ThreadingMixIn, socketserver.TCPServer)` | `class S extends socketserver.ThreadingMixIn(socketserver.TCPServer)` |
 * | `socketserver.TCPServer.allow_reuse_address = True` | `socketserver.TCPServer.allow_reuse_address = true` (static fields) |
 * | `def handle_error(self, request, client_address):` | `override handle_error(request, client_address, error)`        |
 * | `ForkingMixIn`, `ForkingTCPServer`               | absent: Deno cannot fork; use `ThreadingMixIn`                    |
 *
 * Where Python and Deno differ:
 *
 * - A handler's `setup`, `handle` and `finish` run after its constructor
 *   returns (a TypeScript constructor cannot await); `handled` settles
 *   when they are done.
 * - Every method that waits is async: `serve_forever`, `handle_request`,
 *   `shutdown`, `server_close` and the hooks they call. Hooks may be
 *   overridden with sync or async methods.
 * - `shutdown()` resolves once `serve_forever` has returned, and may be
 *   awaited from a handler without deadlock.
 * - `handle_error(request, client_address, error)` receives the error
 *   (Python reads it from `sys.exc_info()`).
 * - Class attributes (`allow_reuse_address`, `request_queue_size`,
 *   `timeout`, `daemon_threads`, `block_on_close`, ...) are static fields.
 * - A "thread" of `ThreadingMixIn` is a task on the event loop, and
 *   `server_close()` waits for the running ones when `block_on_close`.
 *
 * @example Python's `socketserver.TCPServer` example, with its client
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class MyTCPHandler extends socketserver.BaseRequestHandler {
 *   data = "";
 *   override async handle() {
 *     this.data = socket.str(await this.request.recv(1024)).trim();
 *     await this.request.sendall(socket.bytes(this.data.toUpperCase()));
 *   }
 * }
 *
 * await using server = new socketserver.TCPServer(["127.0.0.1", 0], MyTCPHandler);
 * const serving = server.serve_forever();
 * using sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * await sock.connect(server.server_address);
 * await sock.sendall(socket.bytes("hello world\n"));
 * assert.equal(socket.str(await sock.recv(1024)), "HELLO WORLD");
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @module
 */

export {
  BaseServer,
  type Request,
  type RequestHandlerClass,
} from "./base_server.ts";
export {
  TCPServer,
  UDPServer,
  UnixDatagramServer,
  UnixStreamServer,
} from "./tcp_server.ts";
export {
  type ServerClass,
  type ThreadingClass,
  ThreadingMixIn,
  type ThreadingServer,
  type ThreadingServerStatics,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixDatagramServer,
  ThreadingUnixStreamServer,
} from "./threading.ts";
export {
  BaseRequestHandler,
  type DatagramRequest,
  DatagramRequestHandler,
  type ReadFile,
  StreamRequestHandler,
  type WriteFile,
} from "./request_handler.ts";
