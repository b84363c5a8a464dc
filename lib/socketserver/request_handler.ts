/**
 * The request handlers of Python's `socketserver`: {@linkcode BaseRequestHandler}
 * and the two that give a handler files to read and write,
 * {@linkcode StreamRequestHandler} and {@linkcode DatagramRequestHandler}.
 *
 * @module
 */

import type { Address } from "../socket/address.ts";
import { IPPROTO_TCP, TCP_NODELAY } from "../socket/constants.ts";
import { OSError } from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";
import type { SocketFile } from "../socket/socket_file.ts";
import type { BaseServer } from "./base_server.ts";
import { BytesIO, SocketWriter } from "./_bytes_io.ts";

/** A datagram server's request: the datagram and the server's socket. */
export type DatagramRequest = [data: Uint8Array, socket: Socket];

/**
 * What a handler reads its request from (`rfile`): the methods of a
 * binary file of Python's, async.
 */
export interface ReadFile extends AsyncIterable<Uint8Array> {
  /** Whether the file is closed. */
  readonly closed: boolean;
  /** Reads up to `size` bytes; -1 reads to the end. */
  read(size?: number): Promise<Uint8Array>;
  /** Reads one line, `\n` included; at most `size` bytes unless -1. */
  readline(size?: number): Promise<Uint8Array>;
  /** Reads every line to the end. */
  readlines(hint?: number): Promise<Uint8Array[]>;
  /** Closes the file (not the socket). */
  close(): Promise<void>;
}

/** What a handler writes its reply to (`wfile`), as a binary file of Python's. */
export interface WriteFile {
  /** Whether the file is closed. */
  readonly closed: boolean;
  /** Writes `data`; returns the count. */
  write(data: ArrayBufferView): Promise<number>;
  /** Sends what is buffered. */
  flush(): Promise<void>;
  /** Closes the file (not the socket). */
  close(): Promise<void>;
}

/**
 * Python's `socketserver.BaseRequestHandler`: the server makes one for
 * each request, and its {@linkcode BaseRequestHandler.setup},
 * {@linkcode BaseRequestHandler.handle} and {@linkcode BaseRequestHandler.finish}
 * run in that order (`finish` even when `handle` throws). A TypeScript
 * constructor cannot await, so they start once the constructor has
 * returned (after a subclass's fields are set), and
 * {@linkcode BaseRequestHandler.handled} says when they are done.
 *
 * Type parameters: the request (`Socket` for stream servers, the default;
 * {@linkcode DatagramRequest} for datagram servers) and the server class.
 *
 * @example Python's `MyTCPHandler`, over loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class MyTCPHandler extends socketserver.BaseRequestHandler {
 *   override async handle() {
 *     const data = await this.request.recv(1024);
 *     await this.request.sendall(socket.bytes(socket.str(data).trim().toUpperCase()));
 *   }
 * }
 *
 * await using server = new socketserver.TCPServer(["127.0.0.1", 0], MyTCPHandler);
 * const handling = server.handle_request();
 * using client = await socket.create_connection(server.server_address as [string, number]);
 * await client.sendall(socket.bytes("hello world\n"));
 * assert.equal(socket.str(await client.recv(1024)), "HELLO WORLD");
 * await handling;
 * ```
 */
export class BaseRequestHandler<
  Request = Socket,
  Server extends BaseServer = BaseServer,
> {
  /** The request: the connection (stream servers) or `[data, socket]` (datagram servers). */
  request: Request;
  /** The client's address. */
  client_address: Address;
  /** The server that made this handler. */
  server: Server;
  /**
   * Settles once `setup`, `handle` and `finish` have run: rejects with
   * what one of them threw. The server's `finish_request` awaits it.
   */
  readonly handled: Promise<void>;

  /**
   * Keeps the request, the client's address and the server, and starts
   * `setup`, `handle` and `finish` once the constructor has returned.
   *
   * @param request The request.
   * @param client_address The client's address.
   * @param server The server.
   */
  constructor(request: Request, client_address: Address, server: Server) {
    this.request = request;
    this.client_address = client_address;
    this.server = server;
    this.handled = Promise.resolve().then(() => this.#run());
  }

  async #run(): Promise<void> {
    await this.setup();
    try {
      await this.handle();
    } finally {
      await this.finish();
    }
  }

  /** Runs before `handle`. Does nothing by default. */
  setup(): void | Promise<void> {}

  /** Services the request: override it. Does nothing by default. */
  handle(): void | Promise<void> {}

  /** Runs after `handle`, even when it threw. Does nothing by default. */
  finish(): void | Promise<void> {}
}

/**
 * Python's `socketserver.StreamRequestHandler`: `setup` gives the handler
 * {@linkcode StreamRequestHandler.rfile} to read the connection (a
 * buffered `makefile("rb")`) and {@linkcode StreamRequestHandler.wfile}
 * to write it (unbuffered: each `write` is a `sendall`, unless `wbufsize`
 * is set), and `finish` flushes and closes both (not the connection; the
 * server closes it). With a `timeout`, a read that times out throws
 * `TimeoutError` and the file refuses further reads, as Python's does.
 *
 * Reading a line from a hostile peer: pass a limit, `readline(65537)`, as
 * Python's `http.server` does; without one a line may grow without bound,
 * as in Python.
 *
 * @example A line echo with `rfile.readline` and `wfile.write`
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class LineHandler extends socketserver.StreamRequestHandler {
 *   override async handle() {
 *     const line = await this.rfile.readline();
 *     await this.wfile.write(socket.bytes(socket.str(line).toUpperCase()));
 *   }
 * }
 *
 * await using server = new socketserver.TCPServer(["127.0.0.1", 0], LineHandler);
 * const handling = server.handle_request();
 * using client = await socket.create_connection(server.server_address as [string, number]);
 * await client.sendall(socket.bytes("one line\n"));
 * assert.equal(socket.str(await client.recv(1024)), "ONE LINE\n");
 * await handling;
 * ```
 */
export class StreamRequestHandler<Server extends BaseServer = BaseServer>
  extends BaseRequestHandler<Socket, Server> {
  /**
   * The read buffer's size (`makefile`'s `buffering`): -1 (default) is
   * the default buffer, as in Python.
   *
   * @default {-1}
   */
  static rbufsize: number = -1;
  /**
   * The write buffer's size: 0 (default) sends each `write` at once;
   * another size makes `wfile` a buffered `makefile("wb")`.
   *
   * @default {0}
   */
  static wbufsize: number = 0;
  /**
   * A timeout in seconds for the connection (`settimeout`), or `null`.
   *
   * @default {null}
   */
  static timeout: number | null = null;
  /**
   * Sets `TCP_NODELAY` on the connection (pysocket sets it on new TCP
   * connections anyway, so this matters only if it was turned off).
   *
   * @default {false}
   */
  static disable_nagle_algorithm: boolean = false;

  /** The connection: the same socket as `request`. */
  connection!: Socket;
  /** The file the request is read from: `connection.makefile("rb")`. */
  rfile!: SocketFile<Uint8Array>;
  /**
   * The file the reply is written to: each `write` is a `sendall` when
   * `wbufsize` is 0 (the default), else `connection.makefile("wb")`,
   * which holds writes until `flush()`.
   */
  wfile!: WriteFile;

  /** Makes `connection`, `rfile` and `wfile`, applying `timeout` and `disable_nagle_algorithm`. */
  override setup(): void | Promise<void> {
    const own = this.constructor as typeof StreamRequestHandler;
    this.connection = this.request;
    if (own.timeout !== null) this.connection.settimeout(own.timeout);
    if (own.disable_nagle_algorithm) {
      this.connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, true);
    }
    this.rfile = this.connection.makefile("rb", { buffering: own.rbufsize });
    this.wfile = own.wbufsize === 0
      ? new SocketWriter(this.connection)
      : this.connection.makefile("wb", { buffering: own.wbufsize });
  }

  /** Flushes `wfile` (a socket error here is ignored, as in Python) and closes both files. */
  override async finish(): Promise<void> {
    if (!this.wfile.closed) {
      try {
        await this.wfile.flush();
      } catch (err) {
        if (!(err instanceof OSError)) throw err;
      }
    }
    await this.wfile.close();
    await this.rfile.close();
  }
}

/**
 * Python's `socketserver.DatagramRequestHandler`: `rfile` reads the
 * datagram, and what the handler writes to `wfile` is sent back to the
 * client as one datagram once `finish` runs (an empty one if nothing
 * was written, as in Python).
 *
 * @example A datagram echo in capitals
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class Upper extends socketserver.DatagramRequestHandler {
 *   override async handle() {
 *     const data = await this.rfile.read();
 *     await this.wfile.write(socket.bytes(socket.str(data).toUpperCase()));
 *   }
 * }
 *
 * await using server = new socketserver.UDPServer(["127.0.0.1", 0], Upper);
 * using client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
 * client.bind(["127.0.0.1", 0]); // Loopback only (unbound, sendto() binds every interface).
 * await client.sendto(socket.bytes("hi"), server.server_address);
 * await server.handle_request();
 * assert.equal(socket.str(await client.recv(1024)), "HI");
 * ```
 */
export class DatagramRequestHandler<Server extends BaseServer = BaseServer>
  extends BaseRequestHandler<DatagramRequest, Server> {
  /** The datagram received. */
  packet!: Uint8Array;
  /** The server's socket, which sends the reply. */
  socket!: Socket;
  /** Reads the datagram. */
  rfile!: ReadFile;
  /** Collects the reply. */
  wfile!: WriteFile & { getvalue(): Uint8Array };

  /** Makes `packet`, `socket`, `rfile` and `wfile`. */
  override setup(): void | Promise<void> {
    [this.packet, this.socket] = this.request;
    this.rfile = new BytesIO(this.packet);
    this.wfile = new BytesIO();
  }

  /** Sends what was written to `wfile` back to the client. */
  override async finish(): Promise<void> {
    await this.socket.sendto(this.wfile.getvalue(), this.client_address);
  }
}
