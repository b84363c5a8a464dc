/**
 * The `Socket` class, Python's `socket.socket`, and the function
 * {@linkcode socket} that makes one.
 *
 * `Socket` is a thin facade: it checks arguments, speaks Python's errors
 * and options, and hands the work to a private engine for what the socket
 * has become: a listener (`_listener.ts`), a stream connection
 * (`_stream.ts`) or a datagram endpoint (`_datagram.ts`).
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  errno as ERRNO,
  IPPROTO_TCP,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_KEEPALIVE,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_RDM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./constants.ts";
import type { Address } from "./address.ts";
import { endpointFor, fromDenoAddr, unixPath } from "./_address.ts";
import {
  BlockingIOError,
  gaierror,
  OSError,
  OverflowError,
  PermissionError,
  TimeoutError,
  ValueError,
} from "./errors.ts";
import { oserror, translateError } from "./_translate.ts";
import { checkTimeout, Deadline, timed } from "./_deadline.ts";
import { getdefaulttimeout } from "./default_timeout.ts";
import { StreamEngine } from "./_stream.ts";
import { DatagramEngine } from "./_datagram.ts";
import { ListenerEngine } from "./_listener.ts";
import { startConnect } from "./_connect.ts";
import { checkFlags, RECV_FLAGS, SEND_FLAGS } from "./_flags.ts";
import { type SocketChannel, SocketIO } from "./_socket_io.ts";
import type { BinaryMode, MakefileOptions, SocketFile } from "./socket_file.ts";
import { MulticastOptions } from "./_multicast.ts";
import {
  AT_ONCE,
  connecting,
  READINESS,
  type Readiness,
} from "./_readiness.ts";

/** Bytes a socket can send: any typed array or `ArrayBuffer` view. */
export type Buffer = ArrayBufferView;

/**
 * What {@linkcode Socket.sendfile} reads: a `Deno.FsFile`, or anything with
 * Deno's `read(p)` (and `seek(offset, whence)` to start at an offset).
 *
 * @example Send bytes made on the fly
 * ```ts
 * import assert from "node:assert/strict";
 * import { MSG_WAITALL, type SendfileSource, socketpair } from "@pysocket/pysocket";
 * let left = 3;
 * const source: SendfileSource = {
 *   read(p) {
 *     if (left === 0) return Promise.resolve(null);
 *     left--;
 *     p[0] = 0x61;
 *     return Promise.resolve(1);
 *   },
 * };
 * const [a, b] = await socketpair();
 * assert.equal(await a.sendfile(source), 3);
 * assert.deepEqual(await b.recv(3, MSG_WAITALL), new Uint8Array([0x61, 0x61, 0x61]));
 * a.close();
 * b.close();
 * ```
 */
export interface SendfileSource {
  /** Reads into `p`; resolves to the count read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Moves the read position (`whence` `Deno.SeekMode.Start` here). */
  seek?(offset: number, whence: Deno.SeekMode): Promise<number>;
}

/** The most `sendfile` reads and sends at a time. */
const SENDFILE_BLOCK = 64 * 1024;

/** What the fourth argument of the {@linkcode Socket} constructor adopts. */
export type SocketHandle = Deno.Conn | Deno.Listener | Deno.DatagramConn;

type Engine = StreamEngine | DatagramEngine | ListenerEngine;

let nextFileno = 3;

function u8(data: Buffer): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (!ArrayBuffer.isView(data)) {
    throw new TypeError(
      `a bytes-like object is required, not ${typeof data}: encode text with bytes(text, "utf-8")`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The part of `buffer` a `recv_into` call fills. */
function intoTarget(buffer: Buffer, nbytes: number, what: string): Uint8Array {
  const target = u8(buffer);
  checkBufsize(nbytes, what);
  if (nbytes > target.length) {
    throw new ValueError(`${what}: buffer too small for requested bytes`);
  }
  return target.subarray(0, nbytes || target.length);
}

function checkBufsize(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(
      `${what}: buffer size must be an integer, got ${String(n)}`,
    );
  }
  if (n < 0) throw new ValueError(`${what}: negative buffersize`);
  if (n >= 2 ** 63) {
    throw new OverflowError(`${what}: buffer size too large, got ${n}`);
  }
  return n;
}

/**
 * A network socket with Python's methods, names and errors.
 *
 * Create one with {@linkcode socket} (or `new Socket(...)`): `AF_INET`,
 * `AF_INET6` or `AF_UNIX`, with `SOCK_STREAM` (TCP) or `SOCK_DGRAM` (UDP).
 * `using`/`await using` close it at the end of the block, like Python's
 * `with`. Datagram sockets need Deno's `--unstable-net` (this package's
 * `deno.json` turns it on).
 *
 * Two calls of one kind in flight at once (two `recv`, two `accept`, two
 * `sendall`) take turns in call order, each within its own timeout: each
 * gets its own data, and a call that times out while waiting for its turn
 * has touched nothing.
 *
 * Requires `allow-net` permission for the addresses it binds or reaches.
 *
 * @tags allow-net
 *
 * @example An echo over loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, SOCK_STREAM, Socket } from "@pysocket/pysocket";
 * using server = new Socket(AF_INET, SOCK_STREAM);
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = new Socket(AF_INET, SOCK_STREAM);
 * await client.connect(server.getsockname());
 * const [conn] = await server.accept();
 * await client.sendall(new TextEncoder().encode("ping"));
 * await conn.sendall(await conn.recv(1024));
 * assert.equal(new TextDecoder().decode(await client.recv(1024)), "ping");
 * conn.close();
 * ```
 */
export class Socket {
  #family: number;
  #type: number;
  #proto: number;
  #fileno: number;
  #timeout: number | null;
  #closed = false;
  #engine: Engine | null = null;
  #connecting: Promise<void> | null = null;
  #connectError: OSError | null = null;
  #nodelay = 1;
  #keepalive = 0;
  #reuseaddr = 0;
  /** How many files from `makefile()` are open (Python's `_io_refs`). */
  #ioRefs = 0;
  #multicast: MulticastOptions | null = null;

  /**
   * Creates a socket. Raw, RDM and sequenced-packet sockets do not exist in
   * Deno, and creating one throws {@linkcode OSError}.
   *
   * The fourth argument plays the part of Python's `fileno` argument: Deno
   * has no file descriptors, so it adopts an open Deno handle instead (a
   * `Deno.Conn`, such as one from `Deno.connectTls`, a `Deno.Listener`, or
   * a `Deno.DatagramConn`).
   *
   * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
   * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`.
   * @param proto Protocol number; 0 (default) picks TCP or UDP.
   * @param handle An open Deno connection, listener or datagram socket.
   * @throws {OSError} If Deno has no such socket type or family.
   */
  constructor(
    family: number = AF_INET,
    type: number = SOCK_STREAM,
    proto = 0,
    handle?: SocketHandle,
  ) {
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) {
      throw oserror(
        "EAFNOSUPPORT",
        `Deno supports AF_INET, AF_INET6 and AF_UNIX, not family ${family}`,
      );
    }
    if (type === SOCK_RAW || type === SOCK_RDM || type === SOCK_SEQPACKET) {
      const name = type === SOCK_RAW
        ? "SOCK_RAW"
        : type === SOCK_RDM
        ? "SOCK_RDM"
        : "SOCK_SEQPACKET";
      throw oserror(
        "ESOCKTNOSUPPORT",
        `Deno has no ${name} sockets; use SOCK_STREAM or SOCK_DGRAM`,
      );
    }
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM) {
      throw oserror("ESOCKTNOSUPPORT", `unknown socket type ${type}`);
    }
    this.#family = family;
    this.#type = type;
    this.#proto = proto;
    this.#fileno = nextFileno++;
    this.#timeout = getdefaulttimeout();
    if (!handle) return;
    if ("accept" in handle) {
      this.#engine = new ListenerEngine(handle);
      this.#engine.listening = true;
    } else if ("receive" in handle) {
      this.#engine = new DatagramEngine(family, handle);
    } else {
      this.#engine = new StreamEngine(handle);
    }
  }

  /** The address family, such as `AF_INET`. */
  get family(): number {
    return this.#family;
  }

  /** The socket type, `SOCK_STREAM` or `SOCK_DGRAM`. */
  get type(): number {
    return this.#type;
  }

  /** The protocol number given when the socket was made. */
  get proto(): number {
    return this.#proto;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(call: string): void {
    if (this.#closed) {
      throw oserror("EBADF", `cannot ${call}: the socket is closed`);
    }
  }

  /** The stream engine, after a connect in the background has settled. */
  async #stream(call: string): Promise<StreamEngine> {
    this.#checkOpen(call);
    if (!this.#engine && this.#connecting) {
      if (this.#timeout === 0) {
        throw oserror(
          "EWOULDBLOCK",
          `cannot ${call} yet: the socket is still connecting`,
        );
      }
      await this.#connecting;
      this.#takeConnectError();
      this.#checkOpen(call);
    }
    if (!(this.#engine instanceof StreamEngine)) {
      throw oserror("ENOTCONN", `cannot ${call}: the socket is not connected`);
    }
    return this.#engine;
  }

  /** Throws, once, the outcome of a connect that failed in the background. */
  #takeConnectError(): void {
    const failed = this.#connectError;
    if (failed) {
      this.#connectError = null;
      throw failed;
    }
  }

  /**
   * Binds the socket to a local address, reserving it at once: an address
   * in use throws `OSError` with `EADDRINUSE` here, as in Python. Bind to
   * port 0 to let the OS choose, and read the port with `getsockname()`.
   *
   * For stream sockets the address is opened with `Deno.listen`, which
   * starts listening at the OS level already (connections that arrive
   * before `listen()` are reset by it, where Python's would be refused).
   * A TCP socket that is bound cannot then `connect()`: Deno cannot choose
   * a client's local address.
   *
   * Requires `allow-net` for the address (`--allow-net=127.0.0.1:0` for an
   * OS-chosen port); Unix sockets need `allow-read` and `allow-write` too.
   *
   * @param address `[host, port]`, `[host, port, flowinfo, scope_id]` or a path.
   * @throws {OSError} If the address is in use, unavailable, or not permitted.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.bind(["127.0.0.1", 0]);
   * const [host, port] = sock.getsockname() as [string, number];
   * assert.equal(host, "127.0.0.1");
   * assert.ok(port > 0);
   * ```
   */
  bind(address: Address): void {
    this.#checkOpen("bind");
    if (this.#engine) {
      throw oserror(
        "EINVAL",
        "cannot bind: the socket is already bound or connected",
      );
    }
    if (this.#type === SOCK_STREAM) {
      this.#engine = ListenerEngine.open(this.#family, address, "bind");
      if (this.#family !== AF_UNIX && Deno.build.os !== "windows") {
        this.#reuseaddr = 1;
      }
    } else {
      this.#engine = this.#openedDatagram(DatagramEngine.open(
        this.#family,
        address,
        "bind",
        this.#reuseaddr !== 0,
        this.#multicast?.loop !== 0,
      ));
    }
  }

  /**
   * Starts accepting connections. An unbound socket is first bound to an
   * OS-chosen port on every interface, as in Python.
   *
   * Deno takes the backlog when it opens the address, which `bind()`
   * already did; a backlog given here reopens the address with it (TCP
   * only; Unix sockets keep Deno's default of 511). Reopening needs net
   * permission for the port `bind()` got: when the run may only use the
   * port it asked for (`--allow-net=127.0.0.1:0`), the socket keeps
   * listening with Deno's default backlog instead.
   *
   * @param backlog How many connections may wait to be accepted.
   * @throws {OSError} If the socket is not a stream socket, or is connected.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen(5);
   * assert.equal(server.getsockname()[0], "127.0.0.1");
   * ```
   */
  listen(backlog?: number): void {
    this.#checkOpen("listen");
    if (this.#type !== SOCK_STREAM) {
      throw oserror(
        "EOPNOTSUPP",
        "cannot listen: only SOCK_STREAM sockets listen",
      );
    }
    if (backlog !== undefined) {
      if (!Number.isInteger(backlog)) {
        throw new TypeError(
          `listen(): backlog must be an integer, got ${backlog}`,
        );
      }
      backlog = Math.max(0, backlog);
    }
    const engine = this.#engine;
    if (engine instanceof StreamEngine || this.#connecting) {
      throw oserror("EINVAL", "cannot listen: the socket is connected");
    }
    if (engine instanceof ListenerEngine) {
      engine.listen(this.#family, backlog);
      return;
    }
    if (this.#family === AF_UNIX) {
      throw oserror(
        "EINVAL",
        "cannot listen: bind the AF_UNIX socket to a path first",
      );
    }
    const any: Address = this.#family === AF_INET6 ? ["::", 0] : ["0.0.0.0", 0];
    const listener = ListenerEngine.open(this.#family, any, "listen", backlog);
    listener.listening = true;
    this.#engine = listener;
  }

  /**
   * Waits for a connection and returns the new connected socket with the
   * peer's address. With a timeout, throws {@linkcode TimeoutError} when it
   * passes; a connection that arrives later is returned by the next call.
   * A connection reset by its client before it was accepted is skipped.
   *
   * @returns `[connection, address]`.
   * @throws {OSError} If the socket is not listening or is closed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn, addr] = await server.accept();
   * assert.equal(addr[0], "127.0.0.1");
   * conn.close();
   * ```
   */
  async accept(): Promise<[Socket, Address]> {
    this.#checkOpen("accept");
    const engine = this.#engine;
    if (!(engine instanceof ListenerEngine) || !engine.listening) {
      throw oserror("EINVAL", "cannot accept: call listen() first");
    }
    const conn = await engine.accept(this.#timeout);
    const sock = new Socket(this.#family, SOCK_STREAM, this.#proto, conn);
    sock.#nodelay = this.#nodelay;
    sock.#applyConnOptions();
    return [sock, fromDenoAddr(conn.remoteAddr, this.#family)];
  }

  #applyConnOptions(): void {
    const engine = this.#engine;
    if (engine instanceof StreamEngine && "setNoDelay" in engine.conn) {
      const tcp = engine.conn as Deno.TcpConn;
      tcp.setNoDelay(this.#nodelay !== 0);
      if (this.#keepalive) tcp.setKeepAlive(true);
    }
  }

  /**
   * Connects to a remote address. For datagram sockets it sets the default
   * peer for `send`/`recv` (and binds the socket if needed), as in Python.
   * With a timeout, throws {@linkcode TimeoutError} when it passes; on a
   * non-blocking socket it throws `BlockingIOError` (`EINPROGRESS`) and
   * goes on in the background, as Python's does.
   *
   * Host names are resolved by the operating system (the hosts file
   * counts). Requires `allow-net` for the address as written: a name needs
   * `--allow-net=localhost:8888`, an IP `--allow-net=127.0.0.1:8888`.
   *
   * @param address `[host, port]` (IPv6: optionally with flowinfo, scope_id) or a path.
   * @throws {ConnectionRefusedError} If nothing listens there.
   * @throws {OSError} Other failures, with Python's errno.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * const [, port] = server.getsockname() as [string, number];
   * await client.connect(["127.0.0.1", port]);
   * assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
   * ```
   */
  async connect(address: Address): Promise<void> {
    this.#checkOpen("connect");
    if (this.#type === SOCK_DGRAM) return this.#connectDatagram(address);
    // The outcome of a background connect, reported once, as the OS does.
    this.#takeConnectError();
    const engine = this.#engine;
    if (engine instanceof StreamEngine) {
      throw oserror(
        "EISCONN",
        "cannot connect: the socket is already connected",
      );
    }
    if (engine instanceof ListenerEngine) {
      throw oserror(
        "EINVAL",
        engine.listening
          ? "cannot connect: the socket is listening"
          : "cannot connect a bound TCP socket: Deno cannot choose a client's local address; remove the bind() call",
      );
    }
    if (this.#connecting) {
      throw oserror(
        "EALREADY",
        "cannot connect: a connect is already in progress",
      );
    }
    const attempt = startConnect(this.#family, address);
    const done = attempt.conn.then(() => {}, () => {});
    this.#connecting = done;
    let conn: Deno.Conn;
    try {
      conn = await timed(attempt.conn, this.#timeout, new Deadline());
    } catch (err) {
      if (err instanceof BlockingIOError) {
        // As in Python, the attempt goes on in the background; the socket
        // adopts the connection when it arrives, or keeps the error for the
        // next call.
        const background: Promise<void> = attempt.conn.then(
          (c) => {
            if (this.#closed || this.#engine) c.close();
            else this.#adopt(c);
          },
          (e) => {
            this.#connectError = translateError(
              e,
              `cannot connect to ${attempt.where}`,
            );
          },
        ).finally(() => {
          if (this.#connecting === background) this.#connecting = null;
        });
        this.#connecting = background;
        throw oserror(
          "EINPROGRESS",
          `connecting to ${attempt.where} did not finish at once; it goes on in the background`,
        );
      }
      if (err instanceof TimeoutError) attempt.abandon();
      if (this.#connecting === done) this.#connecting = null;
      if (err instanceof TimeoutError) throw err;
      throw translateError(err, `cannot connect to ${attempt.where}`);
    }
    if (this.#connecting === done) this.#connecting = null;
    if (this.#closed) {
      conn.close();
      throw oserror("EBADF", "cannot connect: the socket was closed meanwhile");
    }
    this.#adopt(conn);
  }

  #adopt(conn: Deno.Conn): void {
    this.#engine = new StreamEngine(conn);
    this.#applyConnOptions();
  }

  async #connectDatagram(address: Address): Promise<void> {
    const peer: Deno.Addr = this.#family === AF_UNIX
      ? { transport: "unixpacket", path: unixPath(address, "connect") }
      : { transport: "udp", ...endpointFor(address, this.#family, "connect") };
    this.#datagram(peer, true).peer = peer;
    await Promise.resolve();
  }

  /**
   * Like `connect()`, but returns an error number instead of throwing for
   * failures of the connection itself: 0 on success, else the host OS's
   * errno (`errno.ECONNREFUSED`...). A timeout returns `errno.EWOULDBLOCK`,
   * as in Python. Bad arguments, unknown hosts and sandbox refusals still
   * throw, since retrying cannot fix them.
   *
   * @param address Where to connect.
   * @returns 0, or an error number.
   *
   * @example Check whether a port is open
   * ```ts
   * import assert from "node:assert/strict";
   * import { errno, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * const [, port] = server.getsockname() as [string, number];
   * server.close(); // Now nothing listens there.
   * using sock = socket();
   * sock.settimeout(2);
   * assert.equal(await sock.connect_ex(["127.0.0.1", port]), errno.ECONNREFUSED);
   * ```
   */
  async connect_ex(address: Address): Promise<number> {
    try {
      await this.connect(address);
      return 0;
    } catch (err) {
      if (err instanceof TimeoutError) return ERRNO.EWOULDBLOCK;
      if (
        err instanceof OSError && err.errno !== null &&
        !(err instanceof gaierror) && !(err instanceof PermissionError)
      ) {
        return err.errno;
      }
      throw err;
    }
  }

  /**
   * Receives up to `bufsize` bytes. Returns an empty array at end of stream
   * (the peer closed or shut down its sending side). With a timeout, throws
   * {@linkcode TimeoutError} when it passes, and a non-blocking socket
   * throws {@linkcode BlockingIOError} when nothing has arrived; either way
   * nothing is lost: bytes that arrive later go to the next `recv`.
   * On a datagram socket it returns the next datagram, cut to `bufsize`.
   *
   * The bytes returned are new and never change. Results of up to 1 KiB
   * are views into a shared 8 KiB block, as Node's pooled `Buffer`s are
   * (allocating a buffer each would cost more than the read): their
   * `.buffer` is the block, so `slice()` one to get a buffer of its own.
   *
   * With `MSG_WAITALL` in `flags`, a stream socket waits for all `bufsize`
   * bytes, or the end of the stream; with a timeout it returns what arrived
   * when the timeout passes (and throws {@linkcode TimeoutError} only if
   * nothing did); a datagram socket returns one datagram, as usual. With
   * `MSG_PEEK` the bytes stay: the next `recv` returns them again (it waits
   * as `recv` does, and returns at most what one read brought). Other flags
   * throw `OSError` (`EOPNOTSUPP`).
   *
   * @param bufsize The most bytes to return.
   * @param flags 0 (default), `MSG_WAITALL` or `MSG_PEEK`.
   * @returns The bytes received; empty at end of stream.
   * @throws {OSError} If the socket is closed or not connected, or the peer reset it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * conn.close();
   * assert.equal((await client.recv(1024)).length, 0); // end of stream
   * ```
   */
  recv(bufsize: number, flags = 0): Promise<Uint8Array> {
    const engine = this.#engine;
    if (
      engine instanceof StreamEngine && !this.#closed && flags === 0 &&
      Number.isInteger(bufsize) && bufsize >= 0
    ) {
      return engine.recv(bufsize, this.#timeout);
    }
    return this.#recvSlow(bufsize, flags);
  }

  async #recvSlow(bufsize: number, flags: number): Promise<Uint8Array> {
    checkBufsize(bufsize, "recv()");
    flags = checkFlags(flags, RECV_FLAGS, "recv()");
    const peek = (flags & MSG_PEEK) !== 0;
    if (this.#type === SOCK_DGRAM) {
      return (await this.#receive(bufsize, "recv", peek))[0];
    }
    return await this.#streamRecv(await this.#stream("recv"), bufsize, flags);
  }

  /**
   * A stream receive: a peek with `MSG_PEEK`, a wait for all the bytes
   * with `MSG_WAITALL`.
   */
  #streamRecv(
    engine: StreamEngine,
    bufsize: number,
    flags: number,
  ): Promise<Uint8Array> {
    if (flags & MSG_PEEK) return engine.peek(bufsize, this.#timeout);
    return flags & MSG_WAITALL
      ? engine.recvWaitAll(bufsize, this.#timeout)
      : engine.recv(bufsize, this.#timeout);
  }

  /**
   * Receives into a buffer you provide, like Python's `recv_into`.
   *
   * @param buffer Where to put the bytes.
   * @param nbytes The most bytes to receive; 0 (default) means the buffer's size.
   * @param flags 0 (default), `MSG_WAITALL` or `MSG_PEEK`, as for `recv`.
   * @returns How many bytes were received (0 at end of stream).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await conn.sendall(new Uint8Array([1, 2, 3]));
   * conn.close();
   * const buf = new Uint8Array(16);
   * let n = 0;
   * for (let got; (got = await client.recv_into(buf.subarray(n))) > 0;) n += got;
   * assert.deepEqual(buf.subarray(0, n), new Uint8Array([1, 2, 3]));
   * ```
   */
  async recv_into(buffer: Buffer, nbytes = 0, flags = 0): Promise<number> {
    const into = intoTarget(buffer, nbytes, "recv_into()");
    flags = checkFlags(flags, RECV_FLAGS, "recv_into()");
    if (this.#type === SOCK_DGRAM) {
      const [data] = await this.#receive(
        into.length,
        "recv_into",
        (flags & MSG_PEEK) !== 0,
      );
      into.set(data);
      return data.length;
    }
    const engine = await this.#stream("recv_into");
    if (flags !== 0) {
      const data = await this.#streamRecv(engine, into.length, flags);
      into.set(data);
      return data.length;
    }
    return await engine.recvInto(into, this.#timeout);
  }

  /**
   * Receives into a buffer you provide, and says who sent it, like
   * Python's `recvfrom_into`: a datagram cut to the buffer's size, or on a
   * stream socket what `recv_into` gives plus the peer's address.
   *
   * @param buffer Where to put the bytes.
   * @param nbytes The most bytes to receive; 0 (default) means the buffer's size.
   * @param flags 0 (default), `MSG_WAITALL` or `MSG_PEEK`, as for `recv`.
   * @returns `[count, address]`.
   * @throws {TimeoutError} If a timeout is set and passes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AF_INET, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using a = socket(AF_INET, SOCK_DGRAM);
   * a.bind(["127.0.0.1", 0]);
   * using b = socket(AF_INET, SOCK_DGRAM);
   * b.bind(["127.0.0.1", 0]);
   * await b.sendto(new Uint8Array([1, 2, 3]), a.getsockname());
   * const buf = new Uint8Array(8);
   * const [n, addr] = await a.recvfrom_into(buf);
   * assert.equal(n, 3);
   * assert.deepEqual(buf.subarray(0, n), new Uint8Array([1, 2, 3]));
   * assert.deepEqual(addr, b.getsockname());
   * ```
   */
  async recvfrom_into(
    buffer: Buffer,
    nbytes = 0,
    flags = 0,
  ): Promise<[number, Address]> {
    const into = intoTarget(buffer, nbytes, "recvfrom_into()");
    flags = checkFlags(flags, RECV_FLAGS, "recvfrom_into()");
    if (this.#type === SOCK_DGRAM) {
      const [data, address] = await this.#receive(
        into.length,
        "recvfrom_into",
        (flags & MSG_PEEK) !== 0,
      );
      into.set(data);
      return [data.length, address];
    }
    const engine = await this.#stream("recvfrom_into");
    const data = await this.#streamRecv(engine, into.length, flags);
    into.set(data);
    return [data.length, fromDenoAddr(engine.conn.remoteAddr, this.#family)];
  }

  /**
   * Receives a datagram and its sender, like Python's `recvfrom`. A datagram
   * longer than `bufsize` is cut, and the rest of it is dropped, as in
   * Python. On a stream socket it is `recv` plus the peer's address.
   *
   * With `MSG_PEEK` in `flags` the datagram stays: the next `recvfrom`
   * returns it again.
   *
   * @param bufsize The most bytes to return.
   * @param flags 0 (default), `MSG_WAITALL` or `MSG_PEEK`, as for `recv`.
   * @returns `[data, address]`.
   * @throws {TimeoutError} If a timeout is set and passes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AF_INET, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using a = socket(AF_INET, SOCK_DGRAM);
   * a.bind(["127.0.0.1", 0]);
   * using b = socket(AF_INET, SOCK_DGRAM);
   * b.bind(["127.0.0.1", 0]);
   * await b.sendto(new Uint8Array([1, 2, 3, 4]), a.getsockname());
   * const [data, addr] = await a.recvfrom(2);
   * assert.deepEqual(data, new Uint8Array([1, 2]));
   * assert.deepEqual(addr, b.getsockname());
   * ```
   */
  recvfrom(bufsize: number, flags = 0): Promise<[Uint8Array, Address]> {
    const engine = this.#engine;
    if (
      engine instanceof DatagramEngine && !this.#closed && flags === 0 &&
      Number.isInteger(bufsize) && bufsize >= 0
    ) {
      return engine.receive(bufsize, this.#timeout, "recvfrom");
    }
    return this.#recvfromSlow(bufsize, flags);
  }

  async #recvfromSlow(
    bufsize: number,
    flags: number,
  ): Promise<[Uint8Array, Address]> {
    checkBufsize(bufsize, "recvfrom()");
    flags = checkFlags(flags, RECV_FLAGS, "recvfrom()");
    const peek = (flags & MSG_PEEK) !== 0;
    if (this.#type === SOCK_DGRAM) {
      return await this.#receive(bufsize, "recvfrom", peek);
    }
    const engine = await this.#stream("recvfrom");
    const data = await this.#streamRecv(engine, bufsize, flags);
    return [data, fromDenoAddr(engine.conn.remoteAddr, this.#family)];
  }

  #receive(
    bufsize: number,
    call: string,
    peek = false,
  ): Promise<[Uint8Array, Address]> {
    this.#checkOpen(call);
    const engine = this.#engine;
    if (!(engine instanceof DatagramEngine)) {
      throw oserror(
        "EINVAL",
        `cannot ${call}: the datagram socket has no address yet; bind() it or sendto() first`,
      );
    }
    return engine.receive(bufsize, this.#timeout, call, peek);
  }

  /** The datagram engine, opened (and bound as Python would) if needed. */
  #datagram(dest: Deno.Addr, connecting = false): DatagramEngine {
    if (this.#engine) return this.#engine as DatagramEngine;
    if (this.#family === AF_UNIX) {
      this.#engine = DatagramEngine.open(AF_UNIX, null, "sendto");
    } else {
      this.#engine = this.#openedDatagram(DatagramEngine.open(
        this.#family,
        DatagramEngine.autoBindAddress(
          this.#family,
          (dest as Deno.NetAddr).hostname,
          connecting,
        ),
        "bind automatically to",
        this.#reuseaddr !== 0,
        this.#multicast?.loop !== 0,
      ));
    }
    return this.#engine;
  }

  /** A UDP engine just opened, with the options set before it was. */
  #openedDatagram(engine: DatagramEngine): DatagramEngine {
    const settling = this.#multicast?.opened(engine.dgram, this.#family);
    if (settling) {
      settling.catch(() => {});
      engine.settling = settling;
    }
    return engine;
  }

  /**
   * Sends data on a connected socket and returns how many bytes went out,
   * which may be fewer than given: send the rest, or use `sendall`.
   * Deno offers no write that fails instead of waiting, so on a
   * non-blocking socket `send` waits until the OS takes some bytes.
   *
   * @param data The bytes.
   * @param flags 0 (Deno has no send flags; others throw `OSError`).
   * @returns The number of bytes sent.
   * @throws {OSError} If not connected, closed, or the peer is gone (`BrokenPipeError`, `ConnectionResetError`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { bytes, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * assert.equal(await client.send(bytes("hello")), 5);
   * ```
   */
  send(data: Buffer, flags = 0): Promise<number> {
    const engine = this.#engine;
    if (
      flags === 0 && engine instanceof StreamEngine && !this.#closed &&
      data instanceof Uint8Array
    ) {
      return engine.send(data, this.#timeout);
    }
    return this.#sendSlow(data, flags);
  }

  async #sendSlow(data: Buffer, flags: number): Promise<number> {
    const bytes = u8(data);
    checkFlags(flags, SEND_FLAGS, "send()");
    if (this.#type === SOCK_DGRAM) {
      this.#checkOpen("send");
      const peer = (this.#engine as DatagramEngine | null)?.peer;
      if (!peer) {
        throw oserror(
          "EDESTADDRREQ",
          "cannot send: connect() the datagram socket first, or use sendto()",
        );
      }
      return await (this.#engine as DatagramEngine).send(bytes, peer, "send");
    }
    return await (await this.#stream("send")).send(bytes, this.#timeout);
  }

  /**
   * Sends all of the data, waiting as long as it takes (or until the
   * timeout, which throws {@linkcode TimeoutError}; as in Python, some of
   * the data may then have been sent).
   *
   * @param data The bytes.
   * @param flags 0 (Deno has no send flags; others throw `OSError`).
   * @throws {OSError} If not connected, closed, or the peer is gone.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { bytes, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await client.sendall(bytes("hello"));
   * assert.equal((await conn.recv(1024)).length, 5);
   * conn.close();
   * ```
   */
  sendall(data: Buffer, flags = 0): Promise<void> {
    const engine = this.#engine;
    if (
      engine instanceof StreamEngine && !this.#closed && flags === 0 &&
      data instanceof Uint8Array
    ) {
      return engine.sendall(data, this.#timeout);
    }
    return this.#sendallSlow(data, flags);
  }

  async #sendallSlow(data: Buffer, flags: number): Promise<void> {
    const bytes = u8(data);
    checkFlags(flags, SEND_FLAGS, "sendall()");
    if (this.#type === SOCK_DGRAM) {
      await this.send(bytes);
      return;
    }
    await (await this.#stream("sendall")).sendall(bytes, this.#timeout);
  }

  /**
   * Sends a datagram to an address, like Python's `sendto(data, address)`
   * (the `sendto(data, flags, address)` form is accepted too, with flags 0).
   * An unbound socket binds itself first, as in Python: to every interface
   * (`0.0.0.0`, `::`) when the permission covers it, else, when sending to
   * loopback, to the loopback address (`--allow-net=127.0.0.1` suffices).
   * Bind the socket first to keep it off the network.
   *
   * @param data The bytes.
   * @param address Where to send them.
   * @returns The number of bytes sent.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AF_INET, bytes, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using server = socket(AF_INET, SOCK_DGRAM);
   * server.bind(["127.0.0.1", 0]);
   * using client = socket(AF_INET, SOCK_DGRAM);
   * client.bind(["127.0.0.1", 0]); // Loopback only: see above.
   * await client.sendto(bytes("hi"), server.getsockname());
   * const [data] = await server.recvfrom(1024);
   * assert.equal(data.length, 2);
   * ```
   */
  sendto(data: Buffer, address: Address): Promise<number>;
  /**
   * Python's `sendto(data, flags, address)`: Deno has no send flags, so
   * `flags` must be 0 (others throw `OSError`, `EOPNOTSUPP`).
   *
   * @param data The bytes.
   * @param flags 0.
   * @param address Where to send them.
   * @returns The number of bytes sent.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AF_INET, bytes, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using server = socket(AF_INET, SOCK_DGRAM);
   * server.bind(["127.0.0.1", 0]);
   * using client = socket(AF_INET, SOCK_DGRAM);
   * assert.equal(await client.sendto(bytes("hi"), 0, server.getsockname()), 2);
   * ```
   */
  sendto(data: Buffer, flags: number, address: Address): Promise<number>;
  sendto(
    data: Buffer,
    flagsOrAddress: Address | number,
    address?: Address,
  ): Promise<number> {
    const engine = this.#engine;
    if (
      engine instanceof DatagramEngine && !this.#closed &&
      data instanceof Uint8Array && typeof flagsOrAddress !== "number"
    ) {
      let dest: Deno.Addr;
      try {
        dest = engine.destination(flagsOrAddress);
      } catch (err) {
        return Promise.reject(err);
      }
      return engine.send(data, dest, "sendto");
    }
    return this.#sendtoSlow(data, flagsOrAddress, address);
  }

  async #sendtoSlow(
    data: Buffer,
    flagsOrAddress: Address | number,
    address?: Address,
  ): Promise<number> {
    const bytes = u8(data);
    let target: Address;
    if (typeof flagsOrAddress === "number") {
      checkFlags(flagsOrAddress, SEND_FLAGS, "sendto()");
      if (address === undefined) {
        throw new TypeError("sendto(): address is required");
      }
      target = address;
    } else {
      target = flagsOrAddress;
    }
    this.#checkOpen("sendto");
    if (this.#type === SOCK_STREAM) {
      if (this.#engine instanceof StreamEngine) {
        throw oserror(
          "EISCONN",
          "cannot sendto on a connected stream socket: use send()",
        );
      }
      throw oserror(
        "ENOTCONN",
        "cannot sendto: stream sockets need connect() and send()",
      );
    }
    let engine = this.#engine as DatagramEngine | null;
    if (!engine) {
      const first: Deno.Addr = this.#family === AF_UNIX
        ? { transport: "unixpacket", path: unixPath(target, "sendto") }
        : { transport: "udp", ...endpointFor(target, this.#family, "sendto") };
      engine = this.#datagram(first);
    }
    return await engine.send(bytes, engine.destination(target), "sendto");
  }

  /**
   * Sends a file until its end (or `count` bytes), like Python's
   * `sendfile(file, offset=0, count=None)`, and returns how many bytes were
   * sent. Deno has no `sendfile` system call, so this is the loop Python
   * falls back to: read a block, send it all, within the socket's timeout
   * for each block ({@linkcode TimeoutError} when it passes). Afterwards
   * (also after an error) the file's position is just past the last byte
   * sent, when it can seek.
   *
   * A file that can seek is read from `offset` (0: its start); a source
   * that cannot seek is read from where it is, and `offset` must be 0.
   *
   * @param file A `Deno.FsFile`, or anything with `read(p)` and `seek`.
   * @param offset Where in the file to start.
   * @param count The most bytes to send; `null` (default) sends to the end.
   * @returns The count of bytes sent.
   * @throws {ValueError} On a datagram or non-blocking socket, or a bad `count`.
   * @throws {OSError} If not connected, closed, or the peer is gone.
   *
   * @example Send part of a file
   * ```ts
   * import assert from "node:assert/strict";
   * import { MSG_WAITALL, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * const path = await Deno.makeTempFile();
   * await Deno.writeTextFile(path, "0123456789");
   * using file = await Deno.open(path);
   * assert.equal(await client.sendfile(file, 2, 5), 5);
   * assert.deepEqual(await conn.recv(5, MSG_WAITALL), new TextEncoder().encode("23456"));
   * conn.close();
   * await Deno.remove(path);
   * ```
   */
  async sendfile(
    file: SendfileSource,
    offset = 0,
    count: number | null = null,
  ): Promise<number> {
    if (this.#type !== SOCK_STREAM) {
      throw new ValueError("only SOCK_STREAM type sockets are supported");
    }
    if (count !== null && count !== undefined) {
      if (!Number.isInteger(count)) {
        throw new TypeError(`count must be a positive integer (got ${count})`);
      }
      if (count <= 0) {
        throw new ValueError(`count must be a positive integer (got ${count})`);
      }
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ValueError(
        `sendfile(): offset must be a non-negative integer, got ${offset}`,
      );
    }
    if (typeof file?.read !== "function") {
      throw new TypeError(
        "sendfile(): file must have read(p), such as a Deno.FsFile",
      );
    }
    const seek = typeof file.seek === "function";
    if (offset !== 0 && !seek) {
      throw new TypeError(
        "sendfile(): the file cannot seek, so offset must be 0",
      );
    }
    if (this.#timeout === 0) {
      throw new ValueError("non-blocking sockets are not supported");
    }
    const engine = await this.#stream("sendfile");
    if (seek) await file.seek!(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(
      Math.min(count ?? SENDFILE_BLOCK, SENDFILE_BLOCK),
    );
    let total = 0;
    try {
      while (count === null || count === undefined || total < count) {
        const want = count ? Math.min(count - total, buf.length) : buf.length;
        const n = await file.read(buf.subarray(0, want));
        if (!n) break;
        await engine.sendall(buf.subarray(0, n), this.#timeout);
        total += n;
      }
      return total;
    } finally {
      if (total > 0 && seek) {
        await file.seek!(offset + total, Deno.SeekMode.Start);
      }
    }
  }

  /**
   * Shuts down one or both directions of a connection. After `SHUT_WR` the
   * peer reads end of stream (once the writes in flight are done). Deno
   * cannot shut the receiving side at the OS level, so after `SHUT_RD` this
   * socket's `recv` returns empty bytes.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   * @throws {OSError} If not connected.
   *
   * @example Half-close, then read the reply
   * ```ts
   * import assert from "node:assert/strict";
   * import { bytes, SHUT_WR, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await client.sendall(bytes("question"));
   * await client.shutdown(SHUT_WR);
   * assert.equal((await conn.recv(1024)).length, 8);
   * assert.equal((await conn.recv(1024)).length, 0); // the client is done sending
   * await conn.sendall(bytes("answer"));
   * conn.close();
   * assert.equal((await client.recv(1024)).length, 6);
   * ```
   */
  async shutdown(how: number): Promise<void> {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new ValueError(
        `shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${how}`,
      );
    }
    this.#checkOpen("shutdown");
    if (this.#type === SOCK_DGRAM) {
      if (!(this.#engine as DatagramEngine | null)?.peer) {
        throw oserror(
          "ENOTCONN",
          "cannot shutdown: the socket is not connected",
        );
      }
      return;
    }
    await (await this.#stream("shutdown")).shutdown(how);
  }

  /**
   * Closes the socket. Closing twice is harmless. Operations still waiting
   * on it fail with `OSError` (`EBADF`), and what they would have produced
   * later (a connection accepted in the background) is closed too. While
   * files from `makefile()` are open, the connection stays open for them
   * (the socket itself reports closed) and closes with the last of them,
   * as in Python.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * const sock = socket();
   * sock.close();
   * sock.close();
   * assert.equal(sock.fileno(), -1);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Files from makefile() keep the connection until the last one closes.
    if (this.#ioRefs === 0) this.#engine?.close();
  }

  /**
   * Makes a file object over the connected socket, like Python's
   * `makefile(mode, buffering, encoding=..., errors=..., newline=...)`:
   * read and write lines and text with `readline()`, `read()`, `write()`
   * and `flush()`, or iterate over the lines with `for await`. Modes with
   * `r` read, with `w` write, with `b` give bytes (`"r"`, `"w"`, `"rw"`,
   * `"rb"`, `"wb"`, `"rwb"`); text modes decode with `encoding` (UTF-8 by
   * default). See {@linkcode SocketFile} for buffering and timeouts.
   *
   * Closing the file does not close the socket, and closing the socket
   * does not end the file: the connection closes when the socket and
   * every file made from it are closed, as in Python. Meanwhile the socket
   * itself reports closed.
   *
   * @param mode `"r"` (default), `"w"`, `"rw"`, or those with `b`.
   * @param options `buffering`, `encoding`, `errors`, `newline`.
   * @returns The file.
   * @throws {ValueError} For a mode other than r, w and b, or a bad option.
   * @throws {OSError} If the socket is closed or not a stream socket.
   *
   * @example Read lines from a peer
   * ```ts
   * import assert from "node:assert/strict";
   * import { bytes, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await conn.sendall(bytes("héllo\nworld\n"));
   * conn.close();
   * const rfile = client.makefile("r", { encoding: "utf-8" });
   * assert.equal(await rfile.readline(), "héllo\n");
   * const rest: string[] = [];
   * for await (const line of rfile) rest.push(line);
   * assert.deepEqual(rest, ["world\n"]);
   * await rfile.close();
   * ```
   *
   * @example Write, flush, and read the bytes back
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * const wfile = client.makefile("wb");
   * assert.equal(await wfile.write(new Uint8Array([1, 2, 3])), 3);
   * await wfile.close(); // flushes; the socket stays open
   * const rfile = conn.makefile("rb");
   * assert.deepEqual(await rfile.read(3), new Uint8Array([1, 2, 3]));
   * await rfile.close();
   * conn.close();
   * ```
   */
  makefile(mode: BinaryMode, options?: MakefileOptions): SocketFile<Uint8Array>;
  /**
   * Makes a text file object over the connected socket (modes without
   * `b`); see the binary overload above for the whole story.
   *
   * @param mode `"r"` (default), `"w"` or `"rw"`.
   * @param options `buffering`, `encoding`, `errors`, `newline`.
   * @returns The file, reading and writing strings.
   */
  makefile(mode?: string, options?: MakefileOptions): SocketFile<string>;
  makefile(
    mode = "r",
    options: MakefileOptions = {},
  ): SocketFile<string> | SocketFile<Uint8Array> {
    this.#checkOpen("makefile");
    if (this.#type !== SOCK_STREAM) {
      throw oserror(
        "EOPNOTSUPP",
        "makefile(): pysocket makes files of SOCK_STREAM sockets only",
      );
    }
    let released = false;
    // Through the socket's own methods, so a subclass's (SSLSocket's TLS
    // errors and ragged end of stream) apply; straight to the engine once
    // the socket is closed and only its files keep the connection.
    const channel: SocketChannel = {
      recv: async (n) =>
        this.#closed
          ? (await this.#fileStream("read")).recv(n, this.#timeout)
          : await this.recv(n),
      send: async (data) =>
        this.#closed
          ? (await this.#fileStream("write")).send(data, this.#timeout)
          : await this.send(data),
      sendall: async (data) =>
        this.#closed
          ? (await this.#fileStream("write")).sendall(data, this.#timeout)
          : await this.sendall(data),
      unread: (data) => {
        if (this.#engine instanceof StreamEngine) this.#engine.unread(data);
      },
      release: () => {
        if (released) return;
        released = true;
        if (--this.#ioRefs === 0 && this.#closed) this.#engine?.close();
      },
    };
    const file = new SocketIO<string | Uint8Array>(channel, mode, options);
    this.#ioRefs++;
    return file as SocketFile<string> | SocketFile<Uint8Array>;
  }

  /**
   * The stream engine for a file's read or write: the file keeps the
   * connection open after the socket's own `close()`.
   */
  #fileStream(call: string): Promise<StreamEngine> {
    if (this.#engine instanceof StreamEngine) {
      return Promise.resolve(this.#engine);
    }
    return this.#stream(call);
  }

  /**
   * Hands over the underlying Deno handle and leaves this socket closed
   * without closing the handle, like Python's `detach()` (which returns
   * the file descriptor). Returns `null` when nothing is open yet. Pending
   * operations must have finished: bytes read ahead by a timed-out `recv`
   * would otherwise be lost, so that throws `BlockingIOError` instead.
   *
   * @returns The Deno connection, listener or datagram socket, or `null`.
   * @throws {BlockingIOError} If an operation is still pending.
   *
   * @example Take the `Deno.Listener` for an API that needs one
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * const listener = server.detach() as Deno.Listener;
   * assert.equal(server.fileno(), -1);
   * assert.equal(listener.addr.transport, "tcp");
   * listener.close();
   * ```
   */
  detach(): SocketHandle | null {
    this.#checkOpen("detach");
    const engine = this.#engine;
    if (engine?.busy) {
      throw oserror(
        "EWOULDBLOCK",
        "cannot detach: an operation on the socket is still pending; wait for it first",
      );
    }
    this.#engine = null;
    this.close();
    if (engine instanceof ListenerEngine) return engine.detach();
    if (engine instanceof StreamEngine) return engine.conn;
    return engine?.dgram ?? null;
  }

  /** Closes the socket at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the socket at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /**
   * Sets the timeout for blocking operations, in seconds: `null` blocks
   * forever, 0 makes the socket non-blocking, a positive number makes
   * waiting operations throw {@linkcode TimeoutError} after that long.
   *
   * @param value Seconds, or `null`.
   * @throws {RangeError} If negative.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.settimeout(2.5);
   * assert.equal(sock.gettimeout(), 2.5);
   * ```
   */
  settimeout(value: number | null): void {
    this.#timeout = checkTimeout(value, "settimeout()");
  }

  /**
   * The timeout in seconds, or `null` when the socket blocks.
   *
   * @returns The timeout.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * assert.equal(sock.gettimeout(), null);
   * ```
   */
  gettimeout(): number | null {
    return this.#timeout;
  }

  /**
   * `setblocking(false)` is `settimeout(0)`; `setblocking(true)` is
   * `settimeout(null)`. A non-blocking `recv` or `accept` throws
   * {@linkcode BlockingIOError} when nothing has arrived yet.
   *
   * @param flag Whether operations wait.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.setblocking(false);
   * assert.equal(sock.gettimeout(), 0);
   * assert.equal(sock.getblocking(), false);
   * ```
   */
  setblocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /**
   * Whether the socket is in blocking mode (its timeout is not 0).
   *
   * @returns `false` after `setblocking(false)`.
   */
  getblocking(): boolean {
    return this.#timeout !== 0;
  }

  /**
   * The socket's own address. Unbound sockets report the any-address with
   * port 0 (or `""` for Unix sockets), as in Python.
   *
   * @returns The local address.
   * @throws {OSError} If the socket is closed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * assert.deepEqual(sock.getsockname(), ["0.0.0.0", 0]);
   * ```
   */
  getsockname(): Address {
    this.#checkOpen("getsockname");
    const engine = this.#engine;
    const addr = engine instanceof StreamEngine
      ? engine.conn.localAddr
      : engine instanceof ListenerEngine
      ? engine.listener.addr
      : engine?.dgram.addr;
    if (addr) return fromDenoAddr(addr, this.#family);
    if (this.#family === AF_UNIX) return "";
    return this.#family === AF_INET6 ? ["::", 0, 0, 0] : ["0.0.0.0", 0];
  }

  /**
   * The remote address of a connected socket.
   *
   * @returns The peer's address.
   * @throws {OSError} With `ENOTCONN` if not connected, `EBADF` if closed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { errno, OSError, socket } from "@pysocket/pysocket";
   * using sock = socket();
   * assert.throws(() => sock.getpeername(), (err) => err instanceof OSError && err.errno === errno.ENOTCONN);
   * ```
   */
  getpeername(): Address {
    this.#checkOpen("getpeername");
    const peer = this.#peerAddr();
    if (!peer) {
      throw oserror(
        "ENOTCONN",
        "cannot getpeername: the socket is not connected",
      );
    }
    return fromDenoAddr(peer, this.#family);
  }

  #peerAddr(): Deno.Addr | null {
    const engine = this.#engine;
    if (engine instanceof StreamEngine) return engine.conn.remoteAddr;
    if (engine instanceof DatagramEngine) return engine.peer;
    return null;
  }

  /**
   * A number that identifies the open socket, or -1 once closed. Deno 2
   * exposes no OS file descriptors, so this is a pysocket counter, unique
   * in the process; it cannot be passed to other programs.
   *
   * @returns The identifier, or -1.
   */
  fileno(): number {
    return this.#closed ? -1 : this.#fileno;
  }

  /**
   * Sets a socket option. Deno can honour `IPPROTO_TCP`/`TCP_NODELAY`,
   * `SOL_SOCKET`/`SO_KEEPALIVE` (TCP) and `SOL_SOCKET`/`SO_REUSEADDR`
   * (UDP: set before `bind`; Deno always sets it on TCP listeners outside
   * Windows). Anything else throws `OSError` with `ENOPROTOOPT`.
   * pysocket turns `TCP_NODELAY` on for new TCP connections, so small
   * messages leave at once.
   *
   * UDP broadcast and multicast as Python writes them: `SO_BROADCAST`,
   * `IP_ADD_MEMBERSHIP`/`IP_DROP_MEMBERSHIP` (value: `inet_aton(group)`
   * followed by `inet_aton(interface)`), `IPV6_JOIN_GROUP`/`IPV6_LEAVE_GROUP`
   * (`ipv6_mreq`), `IP_MULTICAST_TTL`, `IP_MULTICAST_LOOP` and
   * `IPV6_MULTICAST_LOOP`. Deno does the membership options asynchronously,
   * so for them (and for TTL and loop on a bound socket) this returns a
   * promise: `await sock.setsockopt(...)`. Joining needs a bound socket.
   * Deno cannot set `IP_MULTICAST_IF`, `IPV6_MULTICAST_IF` or
   * `IPV6_MULTICAST_HOPS` (`ENOPROTOOPT`; bind the sender to the
   * interface's address instead), and its UDP sockets may always broadcast,
   * even without `SO_BROADCAST`.
   *
   * @param level `IPPROTO_TCP`, `SOL_SOCKET`, `IPPROTO_IP` or `IPPROTO_IPV6`.
   * @param option The option.
   * @param value A number or boolean, or the packed request of a
   * membership option.
   * @returns A promise for the options Deno sets asynchronously.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { IPPROTO_TCP, socket, TCP_NODELAY } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
   * assert.equal(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
   * ```
   */
  setsockopt(
    level: number,
    option: number,
    value: number | boolean | Buffer,
  ): void | Promise<void> {
    this.#checkOpen("setsockopt");
    const on = value ? 1 : 0;
    const engine = this.#engine;
    const tcp = engine instanceof StreamEngine && "setNoDelay" in engine.conn
      ? engine.conn as Deno.TcpConn
      : null;
    if (level === IPPROTO_TCP && option === TCP_NODELAY && this.#isTcp()) {
      this.#nodelay = on;
      tcp?.setNoDelay(on === 1);
    } else if (
      level === SOL_SOCKET && option === SO_KEEPALIVE && this.#isTcp()
    ) {
      this.#keepalive = on;
      tcp?.setKeepAlive(on === 1);
    } else if (level === SOL_SOCKET && option === SO_REUSEADDR) {
      this.#reuseaddr = on;
    } else if (this.#isUdp() && MulticastOptions.handles(level, option)) {
      return (this.#multicast ??= new MulticastOptions()).set(
        level,
        option,
        value,
        (engine as DatagramEngine | null)?.dgram ?? null,
        this.#family,
      );
    } else {
      throw this.#noOption(level, option);
    }
  }

  /**
   * Reads a socket option as a number (the options `setsockopt` supports;
   * of the multicast ones, `IP_MULTICAST_TTL` and the two loop options).
   *
   * @param level `IPPROTO_TCP`, `SOL_SOCKET`, `IPPROTO_IP` or `IPPROTO_IPV6`.
   * @param option The option.
   * @returns The value: 0 or 1, or the multicast TTL.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { SO_KEEPALIVE, SOL_SOCKET, socket } from "@pysocket/pysocket";
   * using sock = socket();
   * assert.equal(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
   * ```
   */
  getsockopt(level: number, option: number): number {
    this.#checkOpen("getsockopt");
    if (level === IPPROTO_TCP && option === TCP_NODELAY && this.#isTcp()) {
      return this.#nodelay;
    }
    if (level === SOL_SOCKET && option === SO_KEEPALIVE && this.#isTcp()) {
      return this.#keepalive;
    }
    if (level === SOL_SOCKET && option === SO_REUSEADDR) return this.#reuseaddr;
    if (this.#isUdp() && MulticastOptions.handles(level, option)) {
      const value = (this.#multicast ??= new MulticastOptions()).get(
        level,
        option,
      );
      if (value !== null) return value;
    }
    throw this.#noOption(level, option);
  }

  #isTcp(): boolean {
    return this.#type === SOCK_STREAM && this.#family !== AF_UNIX;
  }

  #isUdp(): boolean {
    return this.#type === SOCK_DGRAM && this.#family !== AF_UNIX;
  }

  #noOption(level: number, option: number): OSError {
    return oserror(
      "ENOPROTOOPT",
      `option ${option} at level ${level} is not available for this socket in Deno; ` +
        "supported: TCP_NODELAY and SO_KEEPALIVE (TCP), SO_REUSEADDR, " +
        "and on UDP SO_BROADCAST and the multicast options (IP_ADD_MEMBERSHIP...)",
    );
  }

  /**
   * Python's `repr`: `<socket.socket fd=3, family=2, type=1, proto=0, laddr=...>`,
   * with `[closed]` once closed.
   *
   * @returns The description.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { socket } from "@pysocket/pysocket";
   * const sock = socket();
   * sock.close();
   * assert.equal(String(sock), "<socket.socket [closed] fd=-1, family=2, type=1, proto=0>");
   * ```
   */
  toString(): string {
    const head = `<socket.socket${
      this.#closed ? " [closed]" : ""
    } fd=${this.fileno()}, family=${this.#family}, type=${this.#type}, proto=${this.#proto}`;
    if (this.#closed) return `${head}>`;
    const show = (a: Address) =>
      typeof a === "string"
        ? JSON.stringify(a)
        : `(${a.map((v) => JSON.stringify(v)).join(", ")})`;
    let text = `${head}, laddr=${show(this.getsockname())}`;
    const peer = this.#peerAddr();
    if (peer) text += `, raddr=${show(fromDenoAddr(peer, this.#family))}`;
    return `${text}>`;
  }

  /**
   * Private to pysocket: the socket's readiness in its present state, for
   * `select` and `selectors`.
   *
   * @ignore
   * @returns What `select` asks of the socket.
   */
  [READINESS](): Readiness {
    if (this.#closed) return AT_ONCE;
    if (this.#engine) return this.#engine;
    if (this.#connecting) return connecting(this.#connecting);
    return AT_ONCE;
  }

  /** Shows the socket like Python's `repr` in `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * Creates a socket, like Python's `socket.socket(family, type, proto)`.
 * Also available as `new Socket(...)`.
 *
 * @param family `AF_INET` (default), `AF_INET6` or `AF_UNIX`.
 * @param type `SOCK_STREAM` (default) or `SOCK_DGRAM`.
 * @param proto Protocol number; 0 (default) picks TCP or UDP.
 * @returns The new socket.
 * @throws {OSError} For socket types Deno does not have (`SOCK_RAW`...).
 *
 * @example The tutorial's `socket.socket(socket.AF_INET, socket.SOCK_STREAM)`
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * using sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * assert.equal(sk.type, socket.SOCK_STREAM);
 * ```
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): Socket {
  return new Socket(family, type, proto);
}
