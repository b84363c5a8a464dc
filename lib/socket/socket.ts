/**
 * The `Socket` class, Python's `socket.socket` on top of `Deno.listen`,
 * `Deno.connect` and `Deno.listenDatagram`, with the module functions that
 * make sockets: {@linkcode socket}, {@linkcode create_connection} and
 * {@linkcode create_server}, and the default timeout.
 *
 * Calls that wait on the network are async (`accept`, `connect`, `recv`,
 * `send`...); the rest are synchronous, as in Python. `bind` reserves the
 * address at once, so an address in use fails at `bind`.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  errno as ERRNO,
  IPPROTO_TCP,
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
import {
  type Address,
  formatAddress,
  formatHostPort,
  fromDenoAddr,
  ipEndpoint,
  isIPv4,
  isIPv6,
} from "./address.ts";
import {
  BlockingIOError,
  OSError,
  oserror,
  TimeoutError,
  translateError,
} from "./errors.ts";
import { checkTimeout, Deadline, nextTurn } from "./_deadline.ts";

/** Bytes a socket can send: any typed array or `ArrayBuffer` view. */
export type Buffer = ArrayBufferView;

/** What the fourth argument of the {@linkcode Socket} constructor adopts. */
export type SocketHandle = Deno.Conn | Deno.Listener | Deno.DatagramConn;

let defaultTimeout: number | null = null;
let nextFileno = 3;

/**
 * The default timeout, in seconds, that new sockets start with; `null`
 * (the default) means none: sockets block.
 *
 * @returns The default timeout.
 *
 * @example
 * ```ts
 * import { getdefaulttimeout } from "@pysocket/pysocket";
 * console.log(getdefaulttimeout()); // null
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/**
 * Sets the timeout, in seconds, that sockets created afterwards start with.
 *
 * @param timeout Seconds, or `null` for none.
 * @throws {RangeError} If the timeout is negative.
 *
 * @example
 * ```ts
 * import { getdefaulttimeout, setdefaulttimeout } from "@pysocket/pysocket";
 * setdefaulttimeout(5);
 * console.log(getdefaulttimeout()); // 5
 * setdefaulttimeout(null);
 * ```
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout, "setdefaulttimeout()");
}

function u8(data: Buffer): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (!ArrayBuffer.isView(data)) {
    throw new TypeError(
      `a bytes-like object is required, not ${typeof data}: encode text with bytes(text, "utf-8")`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkBufsize(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(
      `${what}: buffer size must be an integer, got ${String(n)}`,
    );
  }
  if (n < 0) throw new RangeError(`${what}: negative buffersize`);
  return n;
}

/** `Deno.listenDatagram`, or a clear error when `--unstable-net` is off. */
function listenDatagram(
  options:
    | (Deno.UdpListenOptions & { transport: "udp" })
    | (Deno.UnixListenDatagramOptions & { transport: "unixpacket" }),
): Deno.DatagramConn {
  if (typeof Deno.listenDatagram !== "function") {
    throw oserror(
      "EOPNOTSUPP",
      "datagram sockets need Deno's --unstable-net flag: run with " +
        '`deno run --unstable-net`, or add "unstable": ["net"] to deno.json',
    );
  }
  // The overloads do not accept the union; each branch is one of them.
  return Deno.listenDatagram(
    options as Deno.UdpListenOptions & { transport: "udp" },
  );
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const FAMILY_NAMES: Record<number, string> = {
  [AF_INET]: "AF_INET",
  [AF_INET6]: "AF_INET6",
  [AF_UNIX]: "AF_UNIX",
};

const EMPTY = new Uint8Array(0);
/** Largest receive buffer a socket keeps between calls. */
const MAX_SCRATCH = 256 * 1024;

/**
 * A network socket with Python's methods, names and errors.
 *
 * Create one with {@linkcode socket} (or `new Socket(...)`): `AF_INET`,
 * `AF_INET6` or `AF_UNIX`, with `SOCK_STREAM` (TCP) or `SOCK_DGRAM` (UDP).
 * `using`/`await using` close it at the end of the block, like Python's
 * `with`. Datagram sockets need Deno's `--unstable-net` (this package's
 * `deno.json` turns it on).
 *
 * Requires `allow-net` permission for the addresses it binds or reaches.
 *
 * @tags allow-net
 *
 * @example An echo over loopback
 * ```ts
 * import { AF_INET, SOCK_STREAM, Socket } from "@pysocket/pysocket";
 * using server = new Socket(AF_INET, SOCK_STREAM);
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = new Socket(AF_INET, SOCK_STREAM);
 * await client.connect(server.getsockname());
 * const [conn] = await server.accept();
 * await client.sendall(new TextEncoder().encode("ping"));
 * await conn.sendall(await conn.recv(1024));
 * console.log(new TextDecoder().decode(await client.recv(1024))); // "ping"
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

  // Stream sockets.
  #listener: Deno.Listener | null = null;
  #listening = false;
  #conn: Deno.Conn | null = null;
  #pendingAccept: Promise<Deno.Conn> | null = null;
  #pendingRead: Promise<number | null> | null = null;
  #readBuf: Uint8Array = EMPTY;
  #scratch: Uint8Array = EMPTY;
  #leftover: Uint8Array | null = null;
  #eof = false;
  #readShut = false;
  #writeShut = false;
  #pendingWrite: Promise<number> | null = null;
  #connecting: Promise<void> | null = null;
  #connectError: OSError | null = null;

  // Datagram sockets.
  #dgram: Deno.DatagramConn | null = null;
  #pendingRecv: Promise<[Uint8Array, Deno.Addr]> | null = null;
  #peer: Deno.Addr | null = null;
  #dgramBuf: Uint8Array | null = null;
  // The last sendto() destination, so a reply loop does not re-parse it.
  #lastHost = "";
  #lastPort = -1;
  #lastDest: Deno.Addr | null = null;

  // Options.
  #nodelay = 1;
  #keepalive = 0;
  #reuseaddr = 0;

  // Created on first use: most sockets never set a timeout.
  #readDeadline: Deadline | null = null;
  #writeDeadline: Deadline | null = null;

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
    this.#timeout = defaultTimeout;
    if (handle) this.#adopt(handle);
  }

  #adopt(handle: SocketHandle): void {
    if ("accept" in handle) {
      this.#listener = handle;
      this.#listening = true;
    } else if ("receive" in handle) {
      this.#dgram = handle;
    } else {
      this.#conn = handle;
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

  #what(call: string): string {
    return `cannot ${call}`;
  }

  /** The error for a failed operation: EBADF when close() interrupted it. */
  #fail(err: unknown, detail: string): OSError {
    if (this.#closed) {
      return oserror("EBADF", `${detail}: the socket was closed`, err);
    }
    return translateError(err, detail);
  }

  #checkOpen(call: string): void {
    if (this.#closed) {
      throw oserror("EBADF", `cannot ${call}: the socket is closed`);
    }
  }

  #endpoint(
    address: Address,
    call: string,
  ): { hostname: string; port: number } {
    const { hostname, port } = ipEndpoint(address, this.#family, `${call}()`);
    if (this.#family === AF_INET && isIPv6(hostname)) {
      throw oserror(
        "EAFNOSUPPORT",
        `${call}(): ${hostname} is an IPv6 address but the socket is AF_INET; create it with AF_INET6`,
      );
    }
    if (this.#family === AF_INET6 && isIPv4(hostname)) {
      throw oserror(
        "EAFNOSUPPORT",
        `${call}(): ${hostname} is an IPv4 address but the socket is AF_INET6; create it with AF_INET, or use ::ffff:${hostname}`,
      );
    }
    return { hostname, port };
  }

  #unixPath(address: Address, call: string): string {
    if (typeof address !== "string" || address === "") {
      throw new TypeError(
        `${call}(): AF_UNIX address must be a non-empty path string, got ${
          JSON.stringify(address)
        }`,
      );
    }
    return address;
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
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.bind(["127.0.0.1", 0]);
   * const [host, port] = sock.getsockname() as [string, number];
   * console.log(host, port > 0); // "127.0.0.1" true
   * ```
   */
  bind(address: Address): void {
    this.#checkOpen("bind");
    if (this.#listener || this.#conn || this.#dgram) {
      throw oserror(
        "EINVAL",
        "cannot bind: the socket is already bound or connected",
      );
    }
    this.#open(address, "bind");
  }

  /** Opens the Deno resource for a bind (or an automatic one). */
  #open(address: Address, call: string, tcpBacklog?: number): void {
    const where = typeof address === "string"
      ? address
      : formatAddress(address);
    try {
      if (this.#family === AF_UNIX) {
        const path = this.#unixPath(address, call);
        if (this.#type === SOCK_STREAM) {
          this.#listener = Deno.listen({ transport: "unix", path });
        } else {
          this.#dgram = listenDatagram({ transport: "unixpacket", path });
        }
        return;
      }
      const { hostname, port } = this.#endpoint(address, call);
      if (this.#type === SOCK_STREAM) {
        this.#listener = Deno.listen({
          hostname,
          port,
          transport: "tcp",
          tcpBacklog,
        });
        if (Deno.build.os !== "windows") this.#reuseaddr = 1;
      } else {
        this.#dgram = listenDatagram({
          hostname,
          port,
          transport: "udp",
          reuseAddress: this.#reuseaddr !== 0,
        });
      }
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw err;
      const e = translateError(err, `cannot ${call} ${where}`);
      if (e.errno === ERRNO.EADDRINUSE) {
        throw oserror(
          "EADDRINUSE",
          `cannot ${call} ${where}: another socket is using it; choose another port or stop the program that holds it`,
          err,
        );
      }
      throw e;
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
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen(5);
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
    if (this.#conn) {
      throw oserror("EINVAL", "cannot listen: the socket is connected");
    }
    if (backlog !== undefined) {
      if (!Number.isInteger(backlog)) {
        throw new TypeError(
          `listen(): backlog must be an integer, got ${backlog}`,
        );
      }
      backlog = Math.max(0, backlog);
    }
    if (!this.#listener) {
      if (this.#family === AF_UNIX) {
        throw oserror(
          "EINVAL",
          "cannot listen: bind the AF_UNIX socket to a path first",
        );
      }
      this.#open(
        this.#family === AF_INET6 ? ["::", 0] : ["0.0.0.0", 0],
        "listen",
        backlog,
      );
    } else if (
      backlog !== undefined && !this.#listening &&
      this.#listener.addr.transport === "tcp"
    ) {
      const { hostname, port } = this.#listener.addr as Deno.NetAddr;
      if (!netGranted(hostname, port)) {
        this.#listening = true;
        return;
      }
      this.#listener.close();
      this.#listener = null;
      this.#open([hostname, port], "listen", backlog);
    }
    this.#listening = true;
  }

  /** Races an operation against the socket's timeout. */
  #timed<T>(operation: Promise<T>, deadline: Deadline): Promise<T> | T {
    const timeout = this.#timeout;
    if (timeout === null) return operation;
    if (timeout === 0) {
      return Promise.race([operation, nextTurn()]).then((value) => {
        if (value === "later") {
          throw new BlockingIOError(
            ERRNO.EWOULDBLOCK,
            "Resource temporarily unavailable",
          );
        }
        return value as T;
      });
    }
    return deadline.wait(
      operation,
      timeout * 1000,
      () => new TimeoutError("timed out"),
    );
  }

  /**
   * Waits for a connection and returns the new connected socket with the
   * peer's address. With a timeout, throws {@linkcode TimeoutError} when it
   * passes; a connection that arrives later is returned by the next call.
   *
   * @returns `[connection, address]`.
   * @throws {OSError} If the socket is not listening or is closed.
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn, addr] = await server.accept();
   * console.log(addr[0]); // "127.0.0.1"
   * conn.close();
   * ```
   */
  async accept(): Promise<[Socket, Address]> {
    this.#checkOpen("accept");
    if (!this.#listener || !this.#listening) {
      throw oserror("EINVAL", "cannot accept: call listen() first");
    }
    if (!this.#pendingAccept) {
      const pending = this.#listener.accept();
      pending.catch(() => {});
      this.#pendingAccept = pending;
    }
    let conn: Deno.Conn;
    try {
      conn = await this.#timed(
        this.#pendingAccept,
        this.#readDeadline ??= new Deadline(),
      );
    } catch (err) {
      if (err instanceof TimeoutError || err instanceof BlockingIOError) {
        throw err;
      }
      this.#pendingAccept = null;
      throw this.#fail(err, "cannot accept");
    }
    this.#pendingAccept = null;
    const sock = new Socket(this.#family, SOCK_STREAM, this.#proto, conn);
    sock.#nodelay = this.#nodelay;
    sock.#applyConnOptions();
    return [sock, fromDenoAddr(conn.remoteAddr, this.#family)];
  }

  #applyConnOptions(): void {
    const conn = this.#conn;
    if (conn && "setNoDelay" in conn) {
      const tcp = conn as Deno.TcpConn;
      tcp.setNoDelay(this.#nodelay !== 0);
      if (this.#keepalive) tcp.setKeepAlive(true);
    }
  }

  /**
   * Connects to a remote address. For datagram sockets it sets the default
   * peer for `send`/`recv` (and binds the socket if needed), as in Python.
   * With a timeout, throws {@linkcode TimeoutError} when it passes.
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
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * const [, port] = server.getsockname() as [string, number];
   * await client.connect(["127.0.0.1", port]);
   * console.log(client.getpeername()); // ["127.0.0.1", <port>]
   * ```
   */
  async connect(address: Address): Promise<void> {
    this.#checkOpen("connect");
    if (this.#type === SOCK_DGRAM) return this.#connectDatagram(address);
    const failed = this.#connectError;
    if (failed) {
      // The outcome of a background connect, reported once, as the OS does.
      this.#connectError = null;
      throw failed;
    }
    if (this.#conn) {
      throw oserror(
        "EISCONN",
        "cannot connect: the socket is already connected",
      );
    }
    if (this.#listener) {
      throw oserror(
        "EINVAL",
        this.#listening
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
    const where = typeof address === "string"
      ? address
      : formatAddress(address);
    const controller = new AbortController();
    let attempt: Promise<Deno.Conn>;
    if (this.#family === AF_UNIX) {
      attempt = Deno.connect({
        transport: "unix",
        path: this.#unixPath(address, "connect"),
      });
    } else {
      const { hostname, port } = this.#endpoint(address, "connect");
      if (port === 0) {
        throw oserror(
          "ECONNREFUSED",
          `cannot connect to ${where}: port 0 is not a destination`,
        );
      }
      attempt = Deno.connect({
        hostname,
        port,
        transport: "tcp",
        signal: controller.signal,
      });
    }
    attempt.catch(() => {});
    const done = attempt.then(() => {}, () => {});
    this.#connecting = done;
    let conn: Deno.Conn;
    try {
      conn = await this.#timed(attempt, new Deadline());
    } catch (err) {
      if (err instanceof BlockingIOError) {
        // As in Python, the attempt goes on in the background; the socket
        // adopts the connection when it arrives, or keeps the error for the
        // next call.
        const background: Promise<void> = attempt.then(
          (c) => {
            if (this.#closed || this.#conn) c.close();
            else {
              this.#conn = c;
              this.#applyConnOptions();
            }
          },
          (e) => {
            this.#connectError = translateError(
              e,
              `cannot connect to ${where}`,
            );
          },
        ).finally(() => {
          if (this.#connecting === background) this.#connecting = null;
        });
        this.#connecting = background;
        throw oserror(
          "EINPROGRESS",
          `connecting to ${where} did not finish at once; it goes on in the background`,
        );
      }
      if (err instanceof TimeoutError) {
        controller.abort();
        attempt.then((c) => c.close(), () => {});
        this.#connecting = null;
        throw err;
      }
      this.#connecting = null;
      throw translateError(err, `cannot connect to ${where}`);
    } finally {
      if (this.#connecting === done) this.#connecting = null;
    }
    if (this.#closed) {
      conn.close();
      throw oserror("EBADF", "cannot connect: the socket was closed meanwhile");
    }
    this.#conn = conn;
    this.#applyConnOptions();
  }

  async #connectDatagram(address: Address): Promise<void> {
    let peer: Deno.Addr;
    if (this.#family === AF_UNIX) {
      peer = {
        transport: "unixpacket",
        path: this.#unixPath(address, "connect"),
      };
    } else {
      const { hostname, port } = this.#endpoint(address, "connect");
      peer = { transport: "udp", hostname, port };
    }
    this.#ensureDatagram(peer);
    this.#peer = peer;
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
   * import { errno, socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.settimeout(2);
   * const result = await sock.connect_ex(["127.0.0.1", 1]);
   * console.log(result === 0 ? "open" : result === errno.ECONNREFUSED ? "closed" : "filtered");
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
        err.constructor.name !== "gaierror" &&
        err.constructor.name !== "PermissionError"
      ) {
        return err.errno;
      }
      throw err;
    }
  }

  /** Waits for a connect that goes on in the background (after EINPROGRESS). */
  async #settleConnect(call: string): Promise<void> {
    if (this.#timeout === 0) {
      throw oserror(
        "EWOULDBLOCK",
        `cannot ${call} yet: the socket is still connecting`,
      );
    }
    await this.#connecting;
    const failed = this.#connectError;
    if (failed) {
      this.#connectError = null;
      throw failed;
    }
  }

  #streamConn(call: string): Deno.Conn {
    this.#checkOpen(call);
    if (!this.#conn) {
      throw oserror("ENOTCONN", `cannot ${call}: the socket is not connected`);
    }
    return this.#conn;
  }

  /**
   * Receives up to `bufsize` bytes. Returns an empty array at end of stream
   * (the peer closed or shut down its sending side). With a timeout, throws
   * {@linkcode TimeoutError} when it passes, and a non-blocking socket
   * throws {@linkcode BlockingIOError} when nothing has arrived; either way
   * nothing is lost: bytes that arrive later go to the next `recv`.
   * On a datagram socket it returns the next datagram, cut to `bufsize`.
   *
   * @param bufsize The most bytes to return.
   * @returns The bytes received; empty at end of stream.
   * @throws {OSError} If the socket is closed or not connected, or the peer reset it.
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * conn.close();
   * console.log((await client.recv(1024)).length); // 0: end of stream
   * ```
   */
  async recv(bufsize: number): Promise<Uint8Array> {
    checkBufsize(bufsize, "recv()");
    if (this.#type === SOCK_DGRAM) {
      return (await this.#receiveDatagram(bufsize, "recv"))[0];
    }
    if (!this.#conn && this.#connecting) await this.#settleConnect("recv");
    const conn = this.#streamConn("recv");
    if (bufsize === 0 || this.#readShut) return new Uint8Array(0);
    const leftover = this.#leftover;
    if (leftover) {
      if (leftover.length <= bufsize) {
        this.#leftover = null;
        return leftover;
      }
      this.#leftover = leftover.subarray(bufsize);
      return leftover.subarray(0, bufsize);
    }
    if (this.#eof) return new Uint8Array(0);
    let pending = this.#pendingRead;
    if (!pending) {
      // Read into the socket's warm buffer; a fresh one only when the last
      // was handed to the caller, or for sizes too big to keep around.
      let scratch = this.#scratch;
      if (scratch.length < bufsize) {
        scratch = new Uint8Array(bufsize);
        if (bufsize <= MAX_SCRATCH) this.#scratch = scratch;
      }
      this.#readBuf = scratch.length === bufsize
        ? scratch
        : scratch.subarray(0, bufsize);
      pending = conn.read(this.#readBuf);
      if (this.#timeout !== null) pending.catch(() => {});
      this.#pendingRead = pending;
    }
    let n: number | null;
    try {
      n = this.#timeout === null
        ? await pending
        : await this.#timed(pending, this.#readDeadline ??= new Deadline());
    } catch (err) {
      if (err instanceof TimeoutError || err instanceof BlockingIOError) {
        throw err;
      }
      this.#pendingRead = null;
      throw this.#fail(err, "cannot recv");
    }
    this.#pendingRead = null;
    const buf = this.#readBuf;
    this.#readBuf = EMPTY;
    if (n === null) {
      this.#eof = true;
      return new Uint8Array(0);
    }
    if (n > bufsize) {
      // A read started by an earlier call with a larger size.
      this.#leftover = buf.slice(bufsize, n);
      return buf.slice(0, bufsize);
    }
    // Python returns new bytes each time: copy them out and keep the warm
    // buffer for the next read (a fresh buffer per read costs more, in page
    // faults, than the copy; see bench/PROFILE.md). recv_into() skips both.
    return buf.slice(0, n);
  }

  /**
   * Receives into a buffer you provide, like Python's `recv_into`.
   *
   * @param buffer Where to put the bytes.
   * @param nbytes The most bytes to receive; 0 (default) means the buffer's size.
   * @returns How many bytes were received (0 at end of stream).
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await conn.sendall(new Uint8Array([1, 2, 3]));
   * const buf = new Uint8Array(16);
   * console.log(await client.recv_into(buf)); // 3 (or fewer, if split)
   * conn.close();
   * ```
   */
  async recv_into(buffer: Buffer, nbytes = 0): Promise<number> {
    const target = u8(buffer);
    checkBufsize(nbytes, "recv_into()");
    if (nbytes > target.length) {
      throw new RangeError("recv_into(): buffer too small for requested bytes");
    }
    const size = nbytes || target.length;
    if (
      this.#type === SOCK_STREAM && this.#timeout === null &&
      !this.#pendingRead && !this.#leftover && !this.#eof && !this.#readShut &&
      size > 0
    ) {
      // Straight into the caller's buffer: no allocation, no copy.
      const conn = this.#streamConn("recv_into");
      let n: number | null;
      try {
        n = await conn.read(target.subarray(0, size));
      } catch (err) {
        throw this.#fail(err, "cannot recv_into");
      }
      if (n === null) this.#eof = true;
      return n ?? 0;
    }
    const data = await this.recv(size);
    target.set(data);
    return data.length;
  }

  /**
   * Receives a datagram and its sender, like Python's `recvfrom`. A datagram
   * longer than `bufsize` is cut, and the rest of it is dropped, as in
   * Python. On a stream socket it is `recv` plus the peer's address.
   *
   * @param bufsize The most bytes to return.
   * @returns `[data, address]`.
   * @throws {TimeoutError} If a timeout is set and passes.
   *
   * @example
   * ```ts
   * import { AF_INET, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using a = socket(AF_INET, SOCK_DGRAM);
   * a.bind(["127.0.0.1", 0]);
   * using b = socket(AF_INET, SOCK_DGRAM);
   * b.bind(["127.0.0.1", 0]);
   * await b.sendto(new Uint8Array([1, 2, 3, 4]), a.getsockname());
   * const [data, addr] = await a.recvfrom(2);
   * console.log(data, addr[1] === b.getsockname()[1]); // Uint8Array(2) [ 1, 2 ] true
   * ```
   */
  async recvfrom(bufsize: number): Promise<[Uint8Array, Address]> {
    checkBufsize(bufsize, "recvfrom()");
    if (this.#type === SOCK_DGRAM) {
      return await this.#receiveDatagram(bufsize, "recvfrom");
    }
    const data = await this.recv(bufsize);
    return [data, fromDenoAddr(this.#conn!.remoteAddr, this.#family)];
  }

  async #receiveDatagram(
    bufsize: number,
    call: string,
  ): Promise<[Uint8Array, Address]> {
    this.#checkOpen(call);
    const dgram = this.#dgram;
    if (!dgram) {
      throw oserror(
        "EINVAL",
        `cannot ${call}: the datagram socket has no address yet; bind() it or sendto() first`,
      );
    }
    while (true) {
      let pending = this.#pendingRecv;
      if (!pending) {
        // A full-size buffer, reused: the datagram is cut to bufsize and
        // copied out after.
        this.#dgramBuf ??= new Uint8Array(
          this.#family === AF_UNIX ? 262144 : 65536,
        );
        pending = dgram.receive(this.#dgramBuf);
        pending.catch(() => {});
        this.#pendingRecv = pending;
      }
      let data: Uint8Array, from: Deno.Addr;
      try {
        [data, from] = this.#timeout === null
          ? await pending
          : await this.#timed(pending, this.#readDeadline ??= new Deadline());
      } catch (err) {
        if (err instanceof TimeoutError || err instanceof BlockingIOError) {
          throw err;
        }
        this.#pendingRecv = null;
        throw this.#fail(err, `cannot ${call}`);
      }
      this.#pendingRecv = null;
      // A connected datagram socket only hears its peer, as in the kernel.
      if (this.#peer && !sameAddr(this.#peer, from)) continue;
      return [
        data.slice(0, Math.min(data.length, bufsize)),
        fromDenoAddr(from, this.#family),
      ];
    }
  }

  /** Opens the datagram socket if needed, bound as Python would bind it. */
  #ensureDatagram(dest: Deno.Addr): Deno.DatagramConn {
    if (this.#dgram) return this.#dgram;
    if (this.#family === AF_UNIX) {
      try {
        this.#dgram = listenDatagram({ transport: "unixpacket" });
      } catch (err) {
        throw translateError(
          err,
          "cannot open an unbound AF_UNIX datagram socket",
        );
      }
      return this.#dgram;
    }
    // Python binds to every interface; loopback destinations bind to the
    // loopback address instead, so `--allow-net=127.0.0.1` is enough.
    const host = (dest as Deno.NetAddr).hostname;
    const local = isLoopback(host)
      ? (this.#family === AF_INET6 ? "::1" : "127.0.0.1")
      : (this.#family === AF_INET6 ? "::" : "0.0.0.0");
    this.#open([local, 0], "bind automatically to");
    return this.#dgram!;
  }

  /**
   * Sends data on a connected socket and returns how many bytes went out,
   * which may be fewer than given: send the rest, or use `sendall`.
   * Deno offers no write that fails instead of waiting, so on a
   * non-blocking socket `send` waits until the OS takes some bytes.
   *
   * @param data The bytes.
   * @returns The number of bytes sent.
   * @throws {OSError} If not connected, closed, or the peer is gone (`BrokenPipeError`, `ConnectionResetError`).
   *
   * @example
   * ```ts
   * import { bytes, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * console.log(await client.send(bytes("hello"))); // 5
   * ```
   */
  async send(data: Buffer): Promise<number> {
    const bytes = u8(data);
    if (this.#type === SOCK_DGRAM) {
      this.#checkOpen("send");
      if (!this.#peer) {
        throw oserror(
          "EDESTADDRREQ",
          "cannot send: connect() the datagram socket first, or use sendto()",
        );
      }
      return await this.#sendDatagram(bytes, this.#peer, "send");
    }
    if (!this.#conn && this.#connecting) await this.#settleConnect("send");
    const conn = this.#streamConn("send");
    if (this.#writeShut) {
      throw oserror(
        "EPIPE",
        "cannot send: the socket was shut down for writing",
      );
    }
    return await this.#write(conn, bytes, "send");
  }

  async #write(
    conn: Deno.Conn,
    bytes: Uint8Array,
    call: string,
  ): Promise<number> {
    // A write left running by a timed-out call finishes first, in order.
    if (this.#pendingWrite) {
      try {
        await this.#pendingWrite;
      } catch {
        // Its error is reported by the write below.
      }
      this.#pendingWrite = null;
    }
    try {
      if (this.#timeout === null || this.#timeout === 0) {
        return await conn.write(bytes);
      }
      const pending = conn.write(bytes);
      pending.catch(() => {});
      this.#pendingWrite = pending;
      const n = await this.#timed(
        pending,
        this.#writeDeadline ??= new Deadline(),
      );
      this.#pendingWrite = null;
      return n;
    } catch (err) {
      if (err instanceof TimeoutError) throw err;
      this.#pendingWrite = null;
      throw this.#fail(err, `cannot ${call}`);
    }
  }

  /**
   * Sends all of the data, waiting as long as it takes (or until the
   * timeout, which throws {@linkcode TimeoutError}; as in Python, some of
   * the data may then have been sent).
   *
   * @param data The bytes.
   * @throws {OSError} If not connected, closed, or the peer is gone.
   *
   * @example
   * ```ts
   * import { bytes, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * await client.sendall(bytes("hello"));
   * ```
   */
  async sendall(data: Buffer): Promise<void> {
    let bytes = u8(data);
    if (this.#type === SOCK_DGRAM) {
      await this.send(bytes);
      return;
    }
    if (!this.#conn && this.#connecting) await this.#settleConnect("sendall");
    const conn = this.#streamConn("sendall");
    if (this.#writeShut) {
      throw oserror(
        "EPIPE",
        "cannot sendall: the socket was shut down for writing",
      );
    }
    if (this.#timeout === null && !this.#pendingWrite) {
      // The common case, straight to Deno: no timeout, nothing in flight.
      try {
        while (bytes.length > 0) {
          bytes = bytes.subarray(await conn.write(bytes));
        }
      } catch (err) {
        throw this.#fail(err, "cannot sendall");
      }
      return;
    }
    while (bytes.length > 0) {
      const n = await this.#write(conn, bytes, "sendall");
      bytes = bytes.subarray(n);
    }
  }

  /**
   * Sends a datagram to an address, like Python's `sendto(data, address)`
   * (the `sendto(data, flags, address)` form is accepted too, with flags 0).
   * An unbound socket binds itself first, as in Python: to the loopback
   * address when sending to loopback, else to every interface.
   *
   * @param data The bytes.
   * @param flagsOrAddress The address, or flags (must be 0) when `address` follows.
   * @param address The address, in the three-argument form.
   * @returns The number of bytes sent.
   *
   * @example
   * ```ts
   * import { AF_INET, bytes, SOCK_DGRAM, socket } from "@pysocket/pysocket";
   * using server = socket(AF_INET, SOCK_DGRAM);
   * server.bind(["127.0.0.1", 0]);
   * using client = socket(AF_INET, SOCK_DGRAM);
   * await client.sendto(bytes("hi"), server.getsockname());
   * const [data] = await server.recvfrom(1024);
   * console.log(data.length); // 2
   * ```
   */
  async sendto(
    data: Buffer,
    flagsOrAddress: Address | number,
    address?: Address,
  ): Promise<number> {
    const bytes = u8(data);
    let target: Address;
    if (typeof flagsOrAddress === "number") {
      if (flagsOrAddress !== 0) {
        throw oserror(
          "EOPNOTSUPP",
          "sendto(): flags are not supported by Deno; pass 0",
        );
      }
      if (address === undefined) {
        throw new TypeError("sendto(): address is required");
      }
      target = address;
    } else {
      target = flagsOrAddress;
    }
    this.#checkOpen("sendto");
    if (this.#type === SOCK_STREAM) {
      if (this.#conn) {
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
    let dest: Deno.Addr;
    if (this.#family === AF_UNIX) {
      dest = {
        transport: "unixpacket",
        path: this.#unixPath(target, "sendto"),
      };
    } else if (
      this.#lastDest && Array.isArray(target) &&
      target[0] === this.#lastHost && target[1] === this.#lastPort
    ) {
      dest = this.#lastDest;
    } else {
      const { hostname, port } = this.#endpoint(target, "sendto");
      dest = { transport: "udp", hostname, port };
      [this.#lastHost, this.#lastPort, this.#lastDest] = [
        (target as [string, number])[0],
        port,
        dest,
      ];
    }
    return await this.#sendDatagram(bytes, dest, "sendto");
  }

  async #sendDatagram(
    bytes: Uint8Array,
    dest: Deno.Addr,
    call: string,
  ): Promise<number> {
    const dgram = this.#ensureDatagram(dest);
    try {
      return await dgram.send(bytes, dest);
    } catch (err) {
      if (
        err instanceof Deno.errors.Busy && this.#pendingRecv &&
        dest.transport === "unixpacket"
      ) {
        // Deno's Unix datagram sockets do one thing at a time.
        throw oserror(
          "EALREADY",
          `cannot ${call} while a recv waits on this AF_UNIX datagram socket: Deno cannot do both at once on Unix datagram sockets (UDP sockets can); let the recv finish first`,
        );
      }
      const where = dest.transport === "unixpacket"
        ? (dest as Deno.UnixAddr).path!
        : formatHostPort(
          (dest as Deno.NetAddr).hostname,
          (dest as Deno.NetAddr).port,
        );
      throw translateError(err, `cannot ${call} to ${where}`);
    }
  }

  /**
   * Shuts down one or both directions of a connection. After `SHUT_WR` the
   * peer reads end of stream. Deno cannot shut the receiving side at the OS
   * level, so after `SHUT_RD` this socket's `recv` returns empty bytes.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   * @throws {OSError} If not connected.
   *
   * @example Half-close, then read the reply
   * ```ts
   * import { bytes, SHUT_WR, socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * using client = socket();
   * await client.connect(server.getsockname());
   * const [conn] = await server.accept();
   * await client.sendall(bytes("question"));
   * await client.shutdown(SHUT_WR);
   * await conn.recv(1024);
   * console.log((await conn.recv(1024)).length); // 0
   * await conn.sendall(bytes("answer"));
   * console.log((await client.recv(1024)).length > 0); // true
   * conn.close();
   * ```
   */
  async shutdown(how: number): Promise<void> {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      throw new RangeError(
        `shutdown(): how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${how}`,
      );
    }
    this.#checkOpen("shutdown");
    if (this.#type === SOCK_DGRAM) {
      if (!this.#peer) {
        throw oserror(
          "ENOTCONN",
          "cannot shutdown: the socket is not connected",
        );
      }
      if (how !== SHUT_WR) this.#readShut = true;
      return;
    }
    const conn = this.#streamConn("shutdown");
    if (how !== SHUT_WR) this.#readShut = true;
    if (how !== SHUT_RD && !this.#writeShut) {
      if (this.#pendingWrite) await this.#pendingWrite.catch(() => {});
      this.#writeShut = true;
      try {
        await conn.closeWrite();
      } catch (err) {
        throw translateError(err, "cannot shutdown");
      }
    }
  }

  /**
   * Closes the socket. Closing twice is harmless. Operations still waiting
   * on it fail with `OSError` (`EBADF`).
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * const sock = socket();
   * sock.close();
   * sock.close();
   * console.log(sock.fileno()); // -1
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readDeadline?.clear();
    this.#writeDeadline?.clear();
    for (const resource of [this.#conn, this.#listener, this.#dgram]) {
      try {
        resource?.close();
      } catch {
        // Already closed by Deno (for example after a reset).
      }
    }
    this.#leftover = null;
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
   * @example Take the `Deno.Conn` for an API that needs one
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * using server = socket();
   * server.bind(["127.0.0.1", 0]);
   * server.listen();
   * const listener = server.detach() as Deno.Listener;
   * console.log(server.fileno(), listener.addr.transport); // -1 "tcp"
   * listener.close();
   * ```
   */
  detach(): SocketHandle | null {
    this.#checkOpen("detach");
    if (
      this.#pendingRead || this.#pendingAccept || this.#pendingRecv ||
      this.#pendingWrite || this.#leftover
    ) {
      throw oserror(
        "EWOULDBLOCK",
        "cannot detach: an operation on the socket is still pending; wait for it first",
      );
    }
    const handle = this.#conn ?? this.#listener ?? this.#dgram;
    this.#conn = this.#listener = null;
    this.#dgram = null;
    this.close();
    return handle;
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
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.settimeout(2.5);
   * console.log(sock.gettimeout()); // 2.5
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
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * console.log(sock.gettimeout()); // null
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
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.setblocking(false);
   * console.log(sock.gettimeout()); // 0
   * ```
   */
  setblocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /**
   * Whether the socket is in blocking mode (its timeout is not 0).
   *
   * @returns `false` after `setblocking(false)`.
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * console.log(sock.getblocking()); // true
   * ```
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
   * import { socket } from "@pysocket/pysocket";
   * using sock = socket();
   * console.log(sock.getsockname()); // ["0.0.0.0", 0]
   * ```
   */
  getsockname(): Address {
    this.#checkOpen("getsockname");
    const addr = this.#conn?.localAddr ?? this.#listener?.addr ??
      this.#dgram?.addr;
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
   * import { OSError, socket } from "@pysocket/pysocket";
   * using sock = socket();
   * try {
   *   sock.getpeername();
   * } catch (err) {
   *   console.log(err instanceof OSError); // true: not connected
   * }
   * ```
   */
  getpeername(): Address {
    this.#checkOpen("getpeername");
    const addr = this.#conn?.remoteAddr ?? this.#peer;
    if (!addr) {
      throw oserror(
        "ENOTCONN",
        "cannot getpeername: the socket is not connected",
      );
    }
    return fromDenoAddr(addr, this.#family);
  }

  /**
   * A number that identifies the open socket, or -1 once closed. Deno 2
   * exposes no OS file descriptors, so this is a pysocket counter, unique
   * in the process; it cannot be passed to other programs.
   *
   * @returns The identifier, or -1.
   *
   * @example
   * ```ts
   * import { socket } from "@pysocket/pysocket";
   * const sock = socket();
   * console.log(sock.fileno() > 0); // true
   * sock.close();
   * console.log(sock.fileno()); // -1
   * ```
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
   * @param level `IPPROTO_TCP` or `SOL_SOCKET`.
   * @param option The option.
   * @param value A number or boolean.
   *
   * @example
   * ```ts
   * import { IPPROTO_TCP, socket, TCP_NODELAY } from "@pysocket/pysocket";
   * using sock = socket();
   * sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
   * console.log(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)); // 0
   * ```
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    this.#checkOpen("setsockopt");
    const on = value ? 1 : 0;
    const tcp = this.#conn && "setNoDelay" in this.#conn
      ? this.#conn as Deno.TcpConn
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
    } else {
      throw this.#noOption(level, option);
    }
  }

  /**
   * Reads a socket option as a number (the options `setsockopt` supports).
   *
   * @param level `IPPROTO_TCP` or `SOL_SOCKET`.
   * @param option The option.
   * @returns The value, 0 or 1.
   *
   * @example
   * ```ts
   * import { SO_KEEPALIVE, SOL_SOCKET, socket } from "@pysocket/pysocket";
   * using sock = socket();
   * console.log(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE)); // 0
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
    throw this.#noOption(level, option);
  }

  #isTcp(): boolean {
    return this.#type === SOCK_STREAM && this.#family !== AF_UNIX;
  }

  #noOption(level: number, option: number): OSError {
    return oserror(
      "ENOPROTOOPT",
      `option ${option} at level ${level} is not available for this socket in Deno; ` +
        "supported: TCP_NODELAY and SO_KEEPALIVE (TCP), SO_REUSEADDR",
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
   * import { socket } from "@pysocket/pysocket";
   * const sock = socket();
   * sock.close();
   * console.log(String(sock)); // "<socket.socket [closed] fd=-1, family=2, type=1, proto=0>"
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
    const peer = this.#conn?.remoteAddr ?? this.#peer;
    if (peer) text += `, raddr=${show(fromDenoAddr(peer, this.#family))}`;
    return `${text}>`;
  }

  /** Shows the socket like Python's `repr` in `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

function sameAddr(a: Deno.Addr, b: Deno.Addr): boolean {
  if (a.transport === "unixpacket" || b.transport === "unixpacket") {
    return (a as Deno.UnixAddr).path === (b as Deno.UnixAddr).path;
  }
  const x = a as Deno.NetAddr, y = b as Deno.NetAddr;
  if (x.port !== y.port) return false;
  const norm = (h: string) =>
    h === "localhost" ? "127.0.0.1" : h.replace(/^::ffff:/, "");
  return norm(x.hostname) === norm(y.hostname);
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
 * import * as socket from "@pysocket/pysocket";
 * using sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * console.log(sk.type === socket.SOCK_STREAM); // true
 * ```
 */
export function socket(
  family: number = AF_INET,
  type: number = SOCK_STREAM,
  proto = 0,
): Socket {
  return new Socket(family, type, proto);
}

/**
 * Connects to a TCP service and returns the connected socket, like
 * Python's `socket.create_connection`. A host name is resolved by the
 * operating system and every address is tried (IPv6 and IPv4 interleaved),
 * each with the timeout, or the default timeout when none is given.
 *
 * Deno cannot choose a client's local address, so `source_address` is
 * accepted only as `null`/`undefined` or a port-0 any-address.
 *
 * Requires `allow-net` for the host and port as written.
 *
 * @param address `[host, port]`.
 * @param timeout Seconds for the connection attempt (and the socket's timeout).
 * @param source_address Not supported beyond `["", 0]`.
 * @returns The connected socket.
 * @throws {OSError} If no address could be reached.
 *
 * @example
 * ```ts
 * import { create_connection, create_server } from "@pysocket/pysocket";
 * using server = create_server(["127.0.0.1", 0]);
 * using client = await create_connection(server.getsockname() as [string, number], 5);
 * console.log(client.gettimeout()); // 5
 * ```
 */
export async function create_connection(
  address: [string, number] | [string, number, number, number],
  timeout?: number | null,
  source_address?: [string, number] | null,
): Promise<Socket> {
  if (
    source_address &&
    !(["", "0.0.0.0", "::"].includes(source_address[0]) &&
      source_address[1] === 0)
  ) {
    throw oserror(
      "EINVAL",
      "create_connection(): Deno cannot choose a client's local address; drop source_address",
    );
  }
  const seconds = timeout === undefined
    ? defaultTimeout
    : checkTimeout(timeout, "create_connection()");
  const { hostname, port } = ipEndpoint(
    address,
    AF_INET6,
    "create_connection()",
  );
  const where = formatHostPort(hostname, port);
  const controller = new AbortController();
  const attempt = Deno.connect({
    hostname,
    port,
    transport: "tcp",
    signal: controller.signal,
  });
  attempt.catch(() => {});
  let conn: Deno.Conn;
  try {
    if (seconds === null) conn = await attempt;
    else {
      conn = await new Deadline().wait(
        attempt,
        seconds * 1000,
        () => new TimeoutError("timed out"),
      );
    }
  } catch (err) {
    if (err instanceof TimeoutError) {
      controller.abort();
      attempt.then((c) => c.close(), () => {});
      throw err;
    }
    throw translateError(err, `cannot connect to ${where}`);
  }
  const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
  const sock = new Socket(
    isIPv6(remote) ? AF_INET6 : AF_INET,
    SOCK_STREAM,
    0,
    conn,
  );
  sock.settimeout(seconds);
  sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  return sock;
}

/** Options of {@linkcode create_server}, named as Python's keywords. */
export interface CreateServerOptions {
  /**
   * `AF_INET` or `AF_INET6`.
   *
   * @default {AF_INET}
   */
  family?: number;
  /**
   * The listen backlog; Deno's default (511) when left out.
   *
   * @default {undefined}
   */
  backlog?: number | null;
  /**
   * Set `SO_REUSEPORT` so several processes can listen on the same port
   * (Linux only; ignored elsewhere by Deno).
   *
   * @default {false}
   */
  reuse_port?: boolean;
  /**
   * Accept IPv4 and IPv6 on one `AF_INET6` socket. Deno's `::` listeners are
   * dual-stack where the OS allows it (Linux, macOS), so this only checks
   * that the family is `AF_INET6`.
   *
   * @default {false}
   */
  dualstack_ipv6?: boolean;
}

/**
 * Creates a TCP socket bound to `address` and listening, like Python's
 * `socket.create_server`. Synchronous, as in Python.
 *
 * Requires `allow-net` for the address.
 *
 * @param address `[host, port]`; host `""` means every interface.
 * @param options Family, backlog, port reuse, dual-stack.
 * @returns The listening socket.
 * @throws {OSError} If the address is in use or not permitted.
 *
 * @example
 * ```ts
 * import { create_server } from "@pysocket/pysocket";
 * using server = create_server(["127.0.0.1", 0], { backlog: 5 });
 * console.log(server.getsockname()[0]); // "127.0.0.1"
 * ```
 */
export function create_server(
  address: [string, number] | [string, number, number, number],
  options: CreateServerOptions = {},
): Socket {
  const family = options.family ?? AF_INET;
  if (options.dualstack_ipv6 && family !== AF_INET6) {
    throw new RangeError(
      "create_server(): dualstack_ipv6 requires family AF_INET6",
    );
  }
  if (family !== AF_INET && family !== AF_INET6) {
    throw new RangeError(
      `create_server(): family must be AF_INET or AF_INET6, got ${
        FAMILY_NAMES[family] ?? family
      }`,
    );
  }
  if (options.reuse_port) {
    const { hostname, port } = ipEndpoint(address, family, "create_server()");
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({
        hostname,
        port,
        transport: "tcp",
        reusePort: true,
        tcpBacklog: options.backlog ?? undefined,
      });
    } catch (err) {
      throw translateError(
        err,
        `cannot bind ${formatHostPort(hostname, port)}`,
      );
    }
    return new Socket(family, SOCK_STREAM, 0, listener);
  }
  const sock = new Socket(family, SOCK_STREAM);
  try {
    sock.bind(address);
    sock.listen(options.backlog ?? undefined);
  } catch (err) {
    sock.close();
    throw err;
  }
  return sock;
}

/** Whether the run may use `hostname:port` without asking. */
function netGranted(hostname: string, port: number): boolean {
  try {
    const host = formatHostPort(hostname, port);
    return Deno.permissions.querySync({ name: "net", host }).state ===
      "granted";
  } catch {
    return false;
  }
}
