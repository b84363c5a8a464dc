/**
 * Private: the two sides of `SSLContext.wrap_socket`. A client starts TLS
 * on its connected socket (`Deno.startTls`); a server reopens its listening
 * address with `Deno.listenTls`, since Deno cannot start TLS on an accepted
 * connection.
 *
 * @module
 */

import {
  errno as ERRNO,
  IPPROTO_TCP,
  SO_KEEPALIVE,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../socket/constants.ts";
import type { Socket } from "../socket/socket.ts";
import { formatHostPort } from "../socket/_address.ts";
import { oserror } from "../socket/_translate.ts";
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from "./constants.ts";
import { SSLError } from "./errors.ts";
import { tlsError } from "./_translate.ts";
import type { ContextState } from "./_context_state.ts";
import type { SSLContext, WrapSocketOptions } from "./ssl_context.ts";
import { SSLSocket } from "./ssl_socket.ts";

/** Whether a socket is connected. */
function isConnected(sock: Socket): boolean {
  try {
    sock.getpeername();
    return true;
  } catch {
    return false;
  }
}

/** `wrap_socket(sock, { server_side: true })`: see `SSLContext.wrap_socket`. */
export function wrapServer(
  context: SSLContext,
  state: ContextState,
  sock: Socket,
  options: WrapSocketOptions,
): SSLSocket {
  if (state.protocol !== PROTOCOL_TLS_SERVER) {
    throw new TypeError(
      "wrap_socket(): cannot make a server socket with a PROTOCOL_TLS_CLIENT " +
        "context; use create_default_context(Purpose.CLIENT_AUTH)",
    );
  }
  if (options.server_hostname != null) {
    throw new TypeError(
      "wrap_socket(): server_hostname can only be given in client mode",
    );
  }
  if (isConnected(sock)) {
    throw oserror(
      "EINVAL",
      "cannot wrap_socket(server_side: true) an accepted connection: Deno " +
        "cannot start TLS on the server side of an open connection " +
        "(Deno.startTls is client-only); wrap the listening socket instead, " +
        "before accept(): its accept() then returns TLS connections",
    );
  }
  const [host, port] = sock.getsockname() as [string, number];
  if (port === 0) {
    throw oserror(
      "EINVAL",
      "cannot wrap_socket(server_side: true): bind() and listen() the socket " +
        "first; Deno opens a TLS listener at an address (Deno.listenTls)",
    );
  }
  if (!state.chain) {
    throw new SSLError("no certificate assigned", {
      reason: "NO_CERTIFICATE_ASSIGNED",
      detail:
        "wrap_socket(server_side: true): the context has no certificate; " +
        'call context.load_cert_chain("server.pem", "server.key") first',
    });
  }
  const timeout = sock.gettimeout();
  const where = formatHostPort(host, port);
  (sock.detach() as Deno.Listener).close();
  let listener: Deno.TlsListener;
  try {
    listener = Deno.listenTls({
      hostname: host,
      port,
      transport: "tcp",
      cert: state.chain.cert,
      key: state.chain.key,
      alpnProtocols: state.alpn ?? undefined,
    });
  } catch (err) {
    const e = tlsError(err, {
      what: `cannot reopen ${where} with TLS`,
      side: "server",
    });
    if (e.errno === ERRNO.EADDRINUSE) {
      throw oserror(
        "EADDRINUSE",
        `cannot reopen ${where} with TLS: another socket took the port ` +
          "between closing the plain listener and opening the TLS one",
        err,
      );
    }
    throw e;
  }
  const ssl = new SSLSocket(sock.family, listener, {
    context,
    server_side: true,
    do_handshake_on_connect: options.do_handshake_on_connect,
    suppress_ragged_eofs: options.suppress_ragged_eofs,
  });
  ssl.settimeout(timeout);
  return ssl;
}

/** `wrap_socket(sock)` on the client side: see `SSLContext.wrap_socket`. */
export async function wrapClient(
  context: SSLContext,
  state: ContextState,
  sock: Socket,
  options: WrapSocketOptions,
): Promise<SSLSocket> {
  if (state.protocol !== PROTOCOL_TLS_CLIENT) {
    throw new TypeError(
      "wrap_socket(): a PROTOCOL_TLS_SERVER context cannot make client " +
        "connections; use create_default_context(), or pass server_side: true",
    );
  }
  if (!isConnected(sock)) {
    throw oserror(
      "ENOTCONN",
      "cannot wrap_socket: the socket is not connected; connect() it first " +
        "(Deno starts TLS on an open connection), or use " +
        "create_tls_connection()",
    );
  }
  const hostname = options.server_hostname ?? null;
  if (hostname !== null && typeof hostname !== "string") {
    throw new TypeError("wrap_socket(): server_hostname must be a string");
  }
  if (state.checkHostname && !hostname) {
    throw new TypeError(
      'wrap_socket(): check_hostname requires server_hostname; pass { server_hostname: "example.com" }, or set context.check_hostname = false',
    );
  }
  if (state.chain) {
    throw oserror(
      "EOPNOTSUPP",
      "cannot wrap_socket with a client certificate: Deno.startTls cannot " +
        "present one (denoland/deno#21496); connect with " +
        "create_tls_connection(), which uses Deno.connectTls",
    );
  }
  const handshake = options.do_handshake_on_connect ?? true;
  const timeout = sock.gettimeout();
  if (timeout === 0 && handshake) {
    throw new TypeError(
      "wrap_socket(): do_handshake_on_connect should not be specified for " +
        "non-blocking sockets; pass do_handshake_on_connect: false and call " +
        "do_handshake() until it stops throwing SSLWantReadError",
    );
  }
  const nodelay = sock.getsockopt(IPPROTO_TCP, TCP_NODELAY);
  const keepalive = sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE);
  const [peerHost, peerPort] = sock.getpeername() as [string, number];
  const name = hostname ?? peerHost;
  const where = hostname && hostname !== peerHost
    ? `${hostname} (${formatHostPort(peerHost, peerPort)})`
    : formatHostPort(peerHost, peerPort);
  const conn = sock.detach() as Deno.TcpConn;
  let tls: Deno.TlsConn;
  try {
    tls = await Deno.startTls(conn, {
      hostname: name,
      caCerts: state.caCerts.length > 0 ? [...state.caCerts] : undefined,
      alpnProtocols: state.alpn ?? undefined,
      unsafelyDisableHostnameVerification: !state.checkHostname,
    });
  } catch (err) {
    try {
      conn.close();
    } catch {
      // Consumed by Deno.startTls.
    }
    if (err instanceof TypeError) {
      throw new TypeError(
        `wrap_socket(): server_hostname ${
          JSON.stringify(name)
        } is not a host name or IP address (no brackets or ports)`,
      );
    }
    throw tlsError(err, {
      what: `cannot start TLS with ${where}`,
      side: "client",
      hostname: name,
    });
  }
  const ssl = new SSLSocket(sock.family, tls, {
    context,
    server_hostname: hostname,
    do_handshake_on_connect: handshake,
    suppress_ragged_eofs: options.suppress_ragged_eofs,
  });
  ssl.settimeout(timeout);
  ssl.setsockopt(IPPROTO_TCP, TCP_NODELAY, nodelay);
  ssl.setsockopt(SOL_SOCKET, SO_KEEPALIVE, keepalive);
  if (handshake) {
    try {
      await ssl.do_handshake();
    } catch (err) {
      ssl.close();
      throw err;
    }
  }
  return ssl;
}
