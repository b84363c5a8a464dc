/**
 * `create_tls_connection`: Python's `create_connection` followed by
 * `wrap_socket`, in one call.
 *
 * @module
 */

import { AF_INET, AF_INET6 } from "../socket/constants.ts";
import { TimeoutError } from "../socket/errors.ts";
import { formatHostPort, isIPv6 } from "../socket/_address.ts";
import { oserror } from "../socket/_translate.ts";
import { checkTimeout, Deadline, timed } from "../socket/_deadline.ts";
import { getdefaulttimeout } from "../socket/default_timeout.ts";
import { create_connection } from "../socket/create_connection.ts";
import { PROTOCOL_TLS_CLIENT } from "./constants.ts";
import { tlsError } from "./_translate.ts";
import { stateOf } from "./_context_state.ts";
import { SSLContext } from "./ssl_context.ts";
import { create_default_context } from "./create_default_context.ts";
import { SSLSocket } from "./ssl_socket.ts";

/** Options of {@linkcode create_tls_connection}. */
export interface CreateTlsConnectionOptions {
  /**
   * The client context.
   *
   * @default {create_default_context()}
   */
  context?: SSLContext;
  /**
   * The name checked against the server's certificate.
   *
   * @default {the host of `address`}
   */
  server_hostname?: string | null;
  /**
   * Seconds for connecting and for the handshake, then the socket's
   * timeout; `null` for none.
   *
   * @default {getdefaulttimeout()}
   */
  timeout?: number | null;
}

/**
 * Connects to a TLS service and returns the {@linkcode SSLSocket}, its
 * handshake done: Python's `create_connection` followed by `wrap_socket`.
 * `server_hostname` defaults to the host of `address`.
 *
 * When the context holds a client certificate (`load_cert_chain` on a
 * client context), it connects with `Deno.connectTls` instead, the only
 * Deno call that presents one; that call checks the certificate against
 * the name it connects to, so `server_hostname` must then be that host.
 *
 * Requires `allow-net` for the host and port as written, and `allow-read`
 * for certificate files loaded into the context.
 *
 * @param address `[host, port]`.
 * @param options `context`, `server_hostname`, `timeout`.
 * @returns The connected TLS socket.
 * @throws {SSLCertVerificationError} If the server's certificate does not verify.
 * @throws {SSLError} If the handshake fails otherwise.
 * @throws {OSError} If the connection fails (`ConnectionRefusedError`, `TimeoutError`...).
 *
 * @tags allow-net
 *
 * @example
 * ```ts ignore
 * import { create_default_context, create_tls_connection } from "@pysocket/pysocket/ssl";
 * using ssock = await create_tls_connection(["localhost", 8443], {
 *   context: create_default_context(undefined, { cafile: "ca.pem" }),
 *   timeout: 5,
 * });
 * ```
 */
export async function create_tls_connection(
  address: [string, number] | [string, number, number, number],
  options: CreateTlsConnectionOptions = {},
): Promise<SSLSocket> {
  const context = options.context ?? create_default_context();
  if (!(context instanceof SSLContext)) {
    throw new TypeError(
      "create_tls_connection(): context must be an SSLContext",
    );
  }
  if (!Array.isArray(address) || typeof address[0] !== "string") {
    throw new TypeError(
      "create_tls_connection(): address must be a [host, port] tuple",
    );
  }
  const host = address[0];
  const hostname = options.server_hostname ?? host;
  const seconds = options.timeout === undefined
    ? getdefaulttimeout()
    : checkTimeout(options.timeout, "create_tls_connection()");
  const state = stateOf(context)!;
  if (!state.chain || state.protocol !== PROTOCOL_TLS_CLIENT) {
    const sock = await create_connection(address, seconds);
    try {
      return await context.wrap_socket(sock, { server_hostname: hostname });
    } finally {
      sock.close();
    }
  }
  if (hostname !== host) {
    throw new TypeError(
      "create_tls_connection(): with a client certificate, Deno.connectTls " +
        "checks the certificate against the host it connects to, so " +
        `server_hostname ${JSON.stringify(hostname)} must equal ${
          JSON.stringify(host)
        }; connect to the name instead`,
    );
  }
  const port = address[1];
  const where = formatHostPort(host, port);
  let attempt: Promise<Deno.TlsConn>;
  try {
    attempt = Deno.connectTls({
      hostname: host,
      port,
      caCerts: state.caCerts.length > 0 ? [...state.caCerts] : undefined,
      alpnProtocols: state.alpn ?? undefined,
      unsafelyDisableHostnameVerification: !state.checkHostname,
      cert: state.chain.cert,
      key: state.chain.key,
    });
  } catch (err) {
    throw tlsError(err, { what: `cannot connect to ${where}`, side: "client" });
  }
  attempt.catch(() => {});
  let tls: Deno.TlsConn;
  let gaveUp = false;
  try {
    tls = await timed(attempt, seconds, new Deadline(), () => {
      gaveUp = true;
      return new TimeoutError("timed out");
    }, () => {
      gaveUp = true;
      return oserror(
        "EINPROGRESS",
        `connecting to ${where} did not finish at once`,
      );
    });
  } catch (err) {
    if (gaveUp) {
      attempt.then((conn) => conn.close(), () => {});
      throw err;
    }
    throw tlsError(err, {
      what: `cannot connect to ${where}`,
      side: "client",
      hostname,
    });
  }
  const family = isIPv6(tls.remoteAddr.hostname) ? AF_INET6 : AF_INET;
  const ssl = new SSLSocket(family, tls, {
    context,
    server_hostname: hostname,
  });
  ssl.settimeout(seconds);
  try {
    await ssl.do_handshake();
  } catch (err) {
    ssl.close();
    throw err;
  }
  return ssl;
}
