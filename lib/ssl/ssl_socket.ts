/**
 * Python's `ssl.SSLSocket`: a `Socket` that speaks TLS, with TLS failures
 * raised as `SSLError`s.
 *
 * @module
 */

import { IPPROTO_TCP, SOCK_STREAM, TCP_NODELAY } from "../socket/constants.ts";
import type { Address } from "../socket/address.ts";
import {
  BlockingIOError,
  OSError,
  TimeoutError,
  ValueError,
} from "../socket/errors.ts";
import { formatHostPort } from "../socket/_address.ts";
import { oserror } from "../socket/_translate.ts";
import { Deadline, timed } from "../socket/_deadline.ts";
import { Socket } from "../socket/socket.ts";
import { SSLEOFError, SSLWantReadError } from "./errors.ts";
import { type Scene, tlsError } from "./_translate.ts";
import { stateOf } from "./_context_state.ts";
import type { SSLContext } from "./ssl_context.ts";

/** What an {@linkcode SSLSocket} is made with. */
export interface SSLSocketOptions {
  /** The context whose settings it uses. */
  context: SSLContext;
  /**
   * Whether this is the server end.
   *
   * @default {false}
   */
  server_side?: boolean;
  /**
   * The server's name (client side).
   *
   * @default {null}
   */
  server_hostname?: string | null;
  /**
   * See {@linkcode WrapSocketOptions.do_handshake_on_connect}; used by a
   * listening socket's `accept()`.
   *
   * @default {true}
   */
  do_handshake_on_connect?: boolean;
  /**
   * See {@linkcode WrapSocketOptions.suppress_ragged_eofs}.
   *
   * @default {true}
   */
  suppress_ragged_eofs?: boolean;
}

const EMPTY = new Uint8Array(0);

/** Python's error for flags on a TLS socket's `recv`/`send`/`sendall`. */
function noFlags(call: string): ValueError {
  return new ValueError(
    `non-zero flags not allowed in calls to ${call}() on SSLSocket`,
  );
}

/**
 * A TLS socket, like Python's `ssl.SSLSocket`: a {@linkcode Socket}, so
 * `recv`, `sendall`, `settimeout`, `shutdown`, `using` and the rest work
 * unchanged, with TLS failures raised as {@linkcode SSLError}s. Get one
 * from {@linkcode SSLContext.wrap_socket} or
 * {@linkcode create_tls_connection}; the constructor adopts an open
 * `Deno.TlsConn` or `Deno.TlsListener`, as `Socket`'s fourth argument does.
 *
 * A listening SSLSocket's `accept()` returns SSLSockets whose handshake is
 * done (within the listening socket's timeout), as in Python. A failed
 * handshake makes that `accept()` throw, so a server loop should catch
 * {@linkcode OSError} around it.
 *
 * Deno tells only the negotiated ALPN protocol after a handshake, so there
 * is `selected_alpn_protocol()` but no `version()`, `cipher()` or
 * `getpeercert()`. TLS connections from `Deno.listenTls` cannot set
 * `TCP_NODELAY`: `setsockopt` records it but Deno has no way to apply it.
 *
 * @example An echo over TLS (needs a certificate for localhost signed by ca.pem)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { create_connection, create_server } from "@pysocket/pysocket";
 * import { create_default_context, Purpose } from "@pysocket/pysocket/ssl";
 *
 * const serverCtx = create_default_context(Purpose.CLIENT_AUTH);
 * serverCtx.load_cert_chain("server.pem", "server.key");
 * using server = await serverCtx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 *
 * const clientCtx = create_default_context();
 * clientCtx.load_verify_locations("ca.pem");
 * const plain = await create_connection(server.getsockname() as [string, number]);
 * const [[conn], client] = await Promise.all([
 *   server.accept(),
 *   clientCtx.wrap_socket(plain, { server_hostname: "localhost" }),
 * ]);
 * await client.sendall(new TextEncoder().encode("ping"));
 * await conn.sendall(await conn.recv(1024));
 * assert.equal(new TextDecoder().decode(await client.recv(1024)), "ping");
 * conn.close();
 * client.close();
 * ```
 */
export class SSLSocket extends Socket {
  /** The context the socket was made with. */
  readonly context: SSLContext;
  /** Whether this is the server end (or a listening server socket). */
  readonly server_side: boolean;
  /** The server name given on the client side, else `null`. */
  readonly server_hostname: string | null;
  #tls: Deno.TlsConn | null;
  #where: string;
  #handshake: Promise<Deno.TlsHandshakeInfo> | null = null;
  #handshaken = false;
  #alpn: string | null = null;
  #doHandshakeOnConnect: boolean;
  #suppressRaggedEofs: boolean;
  #raggedEof = false;

  /**
   * Adopts an open TLS connection or listener.
   *
   * @param family `AF_INET` or `AF_INET6`.
   * @param handle A `Deno.TlsConn` or a `Deno.TlsListener`.
   * @param options The context, the side, and the wrap options.
   */
  constructor(
    family: number,
    handle: Deno.TlsConn | Deno.TlsListener,
    options: SSLSocketOptions,
  ) {
    super(family, SOCK_STREAM, 0, handle as Deno.Conn | Deno.Listener);
    if (!stateOf(options?.context)) {
      throw new TypeError("SSLSocket: options.context must be an SSLContext");
    }
    this.context = options.context;
    this.server_side = options.server_side ?? false;
    this.server_hostname = options.server_hostname ?? null;
    this.#doHandshakeOnConnect = options.do_handshake_on_connect ?? true;
    this.#suppressRaggedEofs = options.suppress_ragged_eofs ?? true;
    if ("accept" in handle) {
      this.#tls = null;
      const addr = handle.addr;
      this.#where = formatHostPort(addr.hostname, addr.port);
    } else {
      this.#tls = handle;
      const peer = formatHostPort(
        handle.remoteAddr.hostname,
        handle.remoteAddr.port,
      );
      this.#where = this.server_hostname &&
          this.server_hostname !== handle.remoteAddr.hostname
        ? `${this.server_hostname} (${peer})`
        : peer;
    }
  }

  #scene(call: string): Scene {
    return {
      what: `${call} ${this.server_side ? "from" : "with"} ${this.#where}`,
      side: this.server_side ? "server" : "client",
      hostname: this.server_hostname,
    };
  }

  /** Turns an error from a `Socket` method into the TLS one it stands for. */
  #error(err: unknown, call: string): unknown {
    if (
      this.closed || !(err instanceof OSError) ||
      err instanceof TimeoutError || err instanceof BlockingIOError
    ) {
      return err;
    }
    return tlsError(err, this.#scene(`cannot ${call}`));
  }

  /**
   * Runs the TLS handshake if it has not run yet, like Python's
   * `do_handshake()`, within the socket's timeout. `wrap_socket` and
   * `accept` call it unless `do_handshake_on_connect` is `false`. On a
   * non-blocking socket it throws {@linkcode SSLWantReadError} until the
   * handshake is done.
   *
   * @throws {SSLCertVerificationError} If the server's certificate does not verify.
   * @throws {SSLError} If the handshake fails otherwise.
   * @throws {TimeoutError} If it outlasts the timeout.
   *
   * @example
   * ```ts ignore
   * const ssock = await ctx.wrap_socket(sock, { server_hostname: "localhost", do_handshake_on_connect: false });
   * await ssock.do_handshake();
   * ```
   */
  async do_handshake(): Promise<void> {
    if (this.closed) {
      throw oserror("EBADF", "cannot do_handshake: the socket is closed");
    }
    const tls = this.#tls;
    if (!tls) {
      throw oserror(
        "ENOTCONN",
        "cannot do_handshake: the socket listens; accept() a connection",
      );
    }
    if (this.#handshaken) return;
    if (!this.#handshake) {
      this.#handshake = tls.handshake();
      this.#handshake.catch(() => {});
    }
    let info: Deno.TlsHandshakeInfo;
    try {
      info = await timed(
        this.#handshake,
        this.gettimeout(),
        new Deadline(),
        () => new TimeoutError("The handshake operation timed out"),
        () =>
          new SSLWantReadError("The operation did not complete (read)", {
            reason: "WANT_READ",
          }),
      );
    } catch (err) {
      if (err instanceof TimeoutError || err instanceof SSLWantReadError) {
        throw err;
      }
      if (this.closed) {
        throw oserror(
          "EBADF",
          "cannot do_handshake: the socket was closed",
          err,
        );
      }
      throw tlsError(err, this.#scene("handshake"));
    }
    this.#alpn = info.alpnProtocol;
    this.#handshaken = true;
  }

  /**
   * The ALPN protocol both sides chose, like Python's
   * `selected_alpn_protocol()`; `null` when none was agreed, or before the
   * handshake (it is known after `do_handshake()`, which `wrap_socket` and
   * `accept` run by default).
   *
   * @returns The protocol name, or `null`.
   *
   * @example
   * ```ts ignore
   * ctx.set_alpn_protocols(["h2", "http/1.1"]);
   * const ssock = await ctx.wrap_socket(sock, { server_hostname: "example.com" });
   * assert.equal(ssock.selected_alpn_protocol(), "h2");
   * ```
   */
  selected_alpn_protocol(): string | null {
    return this.#alpn;
  }

  /**
   * Waits for a TLS connection and returns it with the peer's address, its
   * handshake done (unless `do_handshake_on_connect` was `false`). The
   * socket's timeout bounds the wait, then the handshake.
   *
   * @returns `[connection, address]`.
   * @throws {SSLError} If the client's handshake fails; the connection is closed.
   * @throws {TimeoutError} If the timeout passes.
   *
   * @example
   * ```ts ignore
   * const [conn, addr] = await server.accept();
   * ```
   */
  override async accept(): Promise<[SSLSocket, Address]> {
    const [plain, address] = await super.accept();
    const conn = plain.detach() as Deno.TlsConn;
    const sock = new SSLSocket(this.family, conn, {
      context: this.context,
      server_side: true,
      do_handshake_on_connect: this.#doHandshakeOnConnect,
      suppress_ragged_eofs: this.#suppressRaggedEofs,
    });
    sock.settimeout(this.gettimeout());
    sock.setsockopt(
      IPPROTO_TCP,
      TCP_NODELAY,
      this.getsockopt(IPPROTO_TCP, TCP_NODELAY),
    );
    if (this.#doHandshakeOnConnect) {
      try {
        await sock.do_handshake();
      } catch (err) {
        sock.close();
        throw err;
      }
    }
    return [sock, address];
  }

  /**
   * Receives up to `bufsize` decrypted bytes, as `Socket.recv`. Returns
   * empty bytes at end of stream, including when the peer closes without
   * ending TLS (unless `suppress_ragged_eofs` is `false`).
   *
   * @param bufsize The most bytes to return.
   * @param flags 0: other flags are a `ValueError`, as in Python.
   * @returns The bytes; empty at end of stream.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * const data = await ssock.recv(1024);
   * ```
   */
  override async recv(bufsize: number, flags = 0): Promise<Uint8Array> {
    if (flags !== 0) throw noFlags("recv");
    if (this.#raggedEof && Number.isInteger(bufsize) && bufsize >= 0) {
      await super.recv(0);
      return EMPTY;
    }
    try {
      return await super.recv(bufsize);
    } catch (err) {
      const e = this.#error(err, "recv");
      if (e instanceof SSLEOFError && this.#suppressRaggedEofs) {
        this.#raggedEof = true;
        return new Uint8Array(0);
      }
      throw e;
    }
  }

  /**
   * Sends data, encrypted, as `Socket.send`.
   *
   * @param data The bytes.
   * @param flags 0: other flags are a `ValueError`, as in Python.
   * @returns How many bytes were taken.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * await ssock.send(new TextEncoder().encode("hi"));
   * ```
   */
  override async send(data: ArrayBufferView, flags = 0): Promise<number> {
    if (flags !== 0) throw noFlags("send");
    try {
      return await super.send(data);
    } catch (err) {
      throw this.#error(err, "send");
    }
  }

  /**
   * Sends all of the data, encrypted, as `Socket.sendall`.
   *
   * @param data The bytes.
   * @param flags 0: other flags are a `ValueError`, as in Python.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * await ssock.sendall(new Uint8Array(1 << 20));
   * ```
   */
  override async sendall(data: ArrayBufferView, flags = 0): Promise<void> {
    if (flags !== 0) throw noFlags("sendall");
    try {
      await super.sendall(data);
    } catch (err) {
      throw this.#error(err, "sendall");
    }
  }

  /**
   * Shuts down a direction, as `Socket.shutdown`. `SHUT_WR` ends TLS for
   * writing (`close_notify`), so the peer reads end of stream and can
   * still reply.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   *
   * @example
   * ```ts ignore
   * await ssock.shutdown(SHUT_WR);
   * ```
   */
  override async shutdown(how: number): Promise<void> {
    try {
      await super.shutdown(how);
    } catch (err) {
      throw this.#error(err, "shutdown");
    }
  }

  /**
   * Python's `repr`, as `Socket`'s but naming `ssl.SSLSocket`.
   *
   * @returns The description.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_connection, create_server } from "@pysocket/pysocket";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * using server = create_server(["127.0.0.1", 0]);
   * const plain = await create_connection(server.getsockname() as [string, number]);
   * // No handshake, so a plain server is enough to show the name.
   * using ssock = await create_default_context().wrap_socket(plain, {
   *   server_hostname: "localhost",
   *   do_handshake_on_connect: false,
   * });
   * // <ssl.SSLSocket fd=5, family=2, type=1, proto=0, laddr=("127.0.0.1", 41166), raddr=("127.0.0.1", 46307)>
   * assert.match(String(ssock), /^<ssl\.SSLSocket fd=\d+, family=2, type=1, proto=0, laddr=.+, raddr=.+>$/);
   * ```
   */
  override toString(): string {
    return super.toString().replace("<socket.socket", "<ssl.SSLSocket");
  }
}
