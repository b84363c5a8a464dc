/**
 * The socket servers of Python's `socketserver`: {@linkcode TCPServer},
 * {@linkcode UDPServer}, {@linkcode UnixStreamServer} and
 * {@linkcode UnixDatagramServer}, each handling one request at a time
 * (see `ThreadingMixIn` for one task per request).
 *
 * @module
 */

import type { Address } from "../socket/address.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  SHUT_WR,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
} from "../socket/constants.ts";
import { create_server } from "../socket/create_server.ts";
import { OSError } from "../socket/errors.ts";
import { Socket } from "../socket/socket.ts";
import { oserror } from "../socket/_translate.ts";
import {
  BaseServer,
  type Request,
  type RequestHandlerClass,
} from "./base_server.ts";

/**
 * Python's `socketserver.TCPServer`: a TCP server handling one request at
 * a time. The constructor binds and listens (unless `bind_and_activate` is
 * false; then call `server_bind()` and `server_activate()`), and
 * `server_address` becomes the address bound, with the real port.
 *
 * Its class fields are static, as Python's class attributes: set them on
 * a subclass (`class MyServer extends TCPServer { static override
 * allow_reuse_address = true; }`) or on the class before constructing.
 *
 * Requires `allow-net` permission for the address.
 *
 * @tags allow-net
 *
 * @example Serve until a handler calls `shutdown()`
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class Once extends socketserver.BaseRequestHandler {
 *   override async handle() {
 *     await this.request.sendall(socket.bytes("bye\n"));
 *     await this.server.shutdown();
 *   }
 * }
 * await using server = new socketserver.TCPServer(["127.0.0.1", 0], Once);
 * const serving = server.serve_forever();
 * using client = await socket.create_connection(server.server_address as [string, number]);
 * assert.equal(socket.str(await client.recv(1024)), "bye\n");
 * await serving;
 * ```
 */
export class TCPServer extends BaseServer {
  /**
   * The family of the server's socket.
   *
   * @default {AF_INET}
   */
  static address_family: number = AF_INET;
  /**
   * The type of the server's socket.
   *
   * @default {SOCK_STREAM}
   */
  static socket_type: number = SOCK_STREAM;
  /**
   * The listen backlog.
   *
   * @default {5}
   */
  static request_queue_size: number = 5;
  /**
   * Sets `SO_REUSEADDR` before binding (Deno sets it on every TCP listener
   * outside Windows anyway).
   *
   * @default {false}
   */
  static allow_reuse_address: boolean = false;
  /**
   * Sets `SO_REUSEPORT` (TCP over IP only: Deno has no such option for
   * UDP or Unix sockets, and asking for it there throws `OSError`).
   *
   * @default {false}
   */
  static allow_reuse_port: boolean = false;

  /** The server's socket. */
  socket: Socket;

  /**
   * Opens the socket, then binds and activates it.
   *
   * @param server_address `[host, port]` (port 0 picks a free one), or a path for Unix servers.
   * @param RequestHandlerClass The handler class, instantiated per request.
   * @param bind_and_activate Whether to bind and listen now.
   * @throws {OSError} If the address cannot be bound.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass,
    bind_and_activate = true,
  ) {
    super(server_address, RequestHandlerClass);
    this.socket = new Socket(
      this.classValue<number>("address_family"),
      this.classValue<number>("socket_type"),
    );
    if (bind_and_activate) {
      try {
        this.server_bind();
        this.server_activate();
      } catch (err) {
        this.socket.close();
        throw err;
      }
    }
  }

  /** Binds the socket to `server_address`, then sets `server_address` to the address bound. May be overridden. */
  server_bind(): void {
    if (this.classValue<boolean>("allow_reuse_address")) {
      this.socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    }
    if (this.classValue<boolean>("allow_reuse_port")) {
      this.#bindReusePort();
    } else {
      this.socket.bind(this.server_address);
    }
    this.server_address = this.socket.getsockname();
  }

  /** Deno sets `SO_REUSEPORT` only when it opens a TCP listener. */
  #bindReusePort(): void {
    const family = this.socket.family;
    if (
      this.socket.type !== SOCK_STREAM ||
      (family !== AF_INET && family !== AF_INET6)
    ) {
      throw oserror(
        "ENOPROTOOPT",
        "allow_reuse_port: Deno can set SO_REUSEPORT only on TCP listeners",
      );
    }
    const address = this.server_address;
    if (typeof address === "string") {
      throw new TypeError(
        `server_bind(): an ${
          family === AF_INET6 ? "AF_INET6" : "AF_INET"
        } address must be a tuple, got ${JSON.stringify(address)}`,
      );
    }
    this.socket.close();
    this.socket = create_server(address, {
      family,
      reuse_port: true,
      backlog: this.classValue<number>("request_queue_size"),
    });
  }

  /** Listens with `request_queue_size` as the backlog. May be overridden. */
  override server_activate(): void {
    this.socket.listen(this.classValue<number>("request_queue_size"));
  }

  /** Closes the server's socket. May be overridden. */
  override server_close(): Promise<void> {
    this.socket.close();
    return Promise.resolve();
  }

  /**
   * The server socket's identifier.
   *
   * @returns The number, or -1 once closed.
   */
  fileno(): number {
    return this.socket.fileno();
  }

  /**
   * Accepts the next connection. May be overridden.
   *
   * @returns `[connection, client_address]`.
   */
  async get_request(): Promise<[Request, Address]> {
    return await this.socket.accept();
  }

  /** The server socket's timeout, which `handle_request` also respects. */
  protected override socketTimeout(): number | null {
    return this.socket.gettimeout();
  }

  /**
   * Shuts the connection down for writing (the client sees the end of the
   * stream), then closes it.
   *
   * @param request The connection.
   */
  override async shutdown_request(request: Request): Promise<void> {
    try {
      await (request as Socket).shutdown(SHUT_WR);
    } catch (err) {
      // Some systems raise ENOTCONN here, as Python notes.
      if (!(err instanceof OSError)) throw err;
    }
    await this.close_request(request);
  }

  /**
   * Closes the connection.
   *
   * @param request The connection.
   */
  override close_request(request: Request): void | Promise<void> {
    (request as Socket).close();
  }
}

/**
 * Python's `socketserver.UDPServer`: each datagram is a request,
 * `[data, socket]`, with the sender's address; handlers answer with
 * `socket.sendto(reply, client_address)` (or through
 * `DatagramRequestHandler`'s `wfile`). Datagrams longer than
 * `max_packet_size` are cut to it.
 *
 * Requires `allow-net` permission for the address and for the clients it
 * answers, and Deno's `--unstable-net`.
 *
 * @tags allow-net
 *
 * @example An echo in capitals
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class Upper extends socketserver.BaseRequestHandler<socketserver.DatagramRequest> {
 *   override async handle() {
 *     const [data, sock] = this.request;
 *     await sock.sendto(socket.bytes(socket.str(data).toUpperCase()), this.client_address);
 *   }
 * }
 * await using server = new socketserver.UDPServer(["127.0.0.1", 0], Upper);
 * using client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
 * client.bind(["127.0.0.1", 0]); // Loopback only (unbound, sendto() binds every interface).
 * await client.sendto(socket.bytes("hi"), server.server_address);
 * await server.handle_request();
 * assert.equal(socket.str(await client.recv(1024)), "HI");
 * ```
 */
export class UDPServer extends TCPServer {
  /**
   * Sets `SO_REUSEADDR` before binding (Deno's `reuseAddress`).
   *
   * @default {false}
   */
  static override allow_reuse_address = false;
  /**
   * `SO_REUSEPORT`: Deno has none for UDP, so `true` throws `OSError`.
   *
   * @default {false}
   */
  static override allow_reuse_port = false;
  /**
   * The type of the server's socket.
   *
   * @default {SOCK_DGRAM}
   */
  static override socket_type: number = SOCK_DGRAM;
  /**
   * The longest datagram read whole.
   *
   * @default {8192}
   */
  static max_packet_size: number = 8192;

  /**
   * Receives the next datagram.
   *
   * @returns `[[data, socket], client_address]`.
   */
  override async get_request(): Promise<[Request, Address]> {
    const [data, client_address] = await this.socket.recvfrom(
      this.classValue<number>("max_packet_size"),
    );
    return [[data, this.socket], client_address];
  }

  /** Nothing to do: a datagram socket does not listen. */
  override server_activate(): void {}

  /**
   * Nothing to shut down: closes the request (which does nothing).
   *
   * @param request The request.
   */
  override async shutdown_request(request: Request): Promise<void> {
    await this.close_request(request);
  }

  /**
   * Nothing to close: the socket is the server's.
   *
   * @param _request The request.
   */
  override close_request(_request: Request): void | Promise<void> {}
}

/**
 * Python's `socketserver.UnixStreamServer`: {@linkcode TCPServer} over
 * a Unix socket at a path. The path is not removed on close, as in Python.
 *
 * Requires `--allow-net=unix:PATH` (Deno 2.9), with read and write access
 * to the path.
 *
 * @tags allow-net, allow-read, allow-write
 */
export class UnixStreamServer extends TCPServer {
  /**
   * The family of the server's socket.
   *
   * @default {AF_UNIX}
   */
  static override address_family: number = AF_UNIX;
}

/**
 * Python's `socketserver.UnixDatagramServer`: {@linkcode UDPServer} over
 * a Unix datagram socket at a path.
 *
 * Requires `--allow-net=unix:PATH` (Deno 2.9), with read and write access
 * to the path, and Deno's `--unstable-net`.
 *
 * @tags allow-net, allow-read, allow-write
 */
export class UnixDatagramServer extends UDPServer {
  /**
   * The family of the server's socket.
   *
   * @default {AF_UNIX}
   */
  static override address_family: number = AF_UNIX;
}
