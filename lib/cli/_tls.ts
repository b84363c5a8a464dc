/**
 * TLS for the programs (`--tls`, `--cert`, `--key`, `--ca`,
 * `--server-name`): a listening socket turned into a TLS one, the
 * handshake of each accepted connection within {@linkcode HANDSHAKE_SECONDS},
 * and the client side's verified connection.
 *
 * @module
 */

import type { Socket } from "../socket/socket.ts";
import { create_default_context, Purpose, type SSLSocket } from "../ssl/mod.ts";
import type { TlsPlan } from "./_plan.ts";

/** How long a TLS handshake may take before the peer is dropped, in seconds. */
export const HANDSHAKE_SECONDS = 10;

/**
 * Turns a listening socket into a TLS one whose `accept()` returns
 * connections before their handshake (see {@linkcode handshake}).
 *
 * @param listening A bound, listening stream socket (it is consumed).
 * @param tls The certificate and key.
 * @returns The socket to accept on.
 * @throws {OSError} If the certificate or key cannot be read or used.
 */
export async function listenTls(
  listening: Socket,
  tls: TlsPlan,
): Promise<Socket> {
  const context = create_default_context(Purpose.CLIENT_AUTH);
  context.load_cert_chain(tls.cert!, tls.key ?? tls.cert);
  return await context.wrap_socket(listening, {
    server_side: true,
    do_handshake_on_connect: false,
  });
}

/**
 * Runs the TLS handshake of an accepted connection, within
 * {@linkcode HANDSHAKE_SECONDS}.
 *
 * @param conn The accepted connection, from a socket of {@linkcode listenTls}.
 * @throws {OSError} If the handshake fails or takes too long.
 */
export async function handshake(conn: Socket): Promise<void> {
  const before = conn.gettimeout();
  conn.settimeout(HANDSHAKE_SECONDS);
  try {
    await (conn as SSLSocket).do_handshake();
  } finally {
    conn.settimeout(before);
  }
}

/**
 * Wraps a connected client socket in TLS, verifying the server's
 * certificate against Deno's root store plus `ca`. There is no way to
 * skip verification here: Deno only has the run flag
 * `--unsafely-ignore-certificate-errors`.
 *
 * @param sock The connected socket (consumed).
 * @param host The host connected to: the default name to verify.
 * @param tls `ca` and `serverName`.
 * @returns The TLS socket, its handshake done.
 * @throws {SSLCertVerificationError} If the certificate does not verify.
 */
export async function wrapClient(
  sock: Socket,
  host: string,
  tls: TlsPlan,
): Promise<Socket> {
  const context = create_default_context();
  if (tls.ca) context.load_verify_locations(tls.ca);
  try {
    return await context.wrap_socket(sock, {
      server_hostname: tls.serverName ?? host,
    });
  } finally {
    sock.close();
  }
}
