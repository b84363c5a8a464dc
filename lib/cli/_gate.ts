/**
 * What stands between the network and the programs' own code: TLS on
 * listening and connecting sockets (`--tls`, `--cert`, `--key`, `--ca`),
 * the access list (`--allow`, `--deny`) checked before a server says
 * anything, and a deadline on TLS handshakes so a peer that connects and
 * stays silent cannot hold a server.
 *
 * Order on a TLS server: accept (no handshake yet), check the address,
 * close a refused peer at once, then run the handshake within
 * {@linkcode HANDSHAKE_SECONDS}. A refused peer so never costs a
 * handshake.
 *
 * @module
 */

import { AccessList } from "./_access.ts";
import type { Address } from "../socket/address.ts";
import type { Socket } from "../socket/socket.ts";
import { create_default_context, Purpose, type SSLSocket } from "../ssl/mod.ts";

/** How long a TLS handshake may take before the peer is dropped, in seconds. */
export const HANDSHAKE_SECONDS = 10;

/** TLS settings of a program, from the command line. */
export interface TlsOptions {
  /**
   * Speak TLS.
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * Server: the certificate chain file (PEM).
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * Server: the private key file (PEM); `cert` when left out.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * Client: a CA certificate file to trust besides Deno's root store,
   * for servers with a private or self-signed certificate.
   *
   * @default {undefined}
   */
  ca?: string;
  /**
   * Client: the name checked against the server's certificate.
   *
   * @default {the host connected to}
   */
  serverName?: string;
}

/** The settings of a {@linkcode ServerGate}. */
export interface GateOptions extends TlsOptions {
  /**
   * Addresses or CIDR ranges admitted (empty: everyone not denied).
   *
   * @default {[]}
   */
  allow?: readonly string[];
  /**
   * Addresses or CIDR ranges refused.
   *
   * @default {[]}
   */
  deny?: readonly string[];
}

/** The IP of a peer address; a Unix path as it is. */
export function hostOf(address: Address): string {
  return typeof address === "string" ? address : address[0];
}

/** The door of a server: TLS listening, access checks, handshakes. */
export class ServerGate {
  /** The access list. */
  readonly access: AccessList;
  #options: GateOptions;

  /**
   * Parses the access list.
   *
   * @param options TLS and access settings.
   * @throws {TypeError} For a bad `--allow`/`--deny` entry.
   */
  constructor(options: GateOptions) {
    this.#options = options;
    this.access = new AccessList({ allow: options.allow, deny: options.deny });
  }

  /** Whether connections are TLS. */
  get tls(): boolean {
    return this.#options.tls === true;
  }

  /**
   * Turns a listening socket into a TLS one when `tls` is on; the result's
   * `accept()` returns connections whose handshake has not run yet.
   *
   * @param listening A bound, listening stream socket (it is consumed).
   * @returns The socket to accept on.
   * @throws {OSError} If the certificate or key cannot be read or used.
   */
  async listen(listening: Socket): Promise<Socket> {
    if (!this.tls) return listening;
    const { cert, key } = this.#options;
    const context = create_default_context(Purpose.CLIENT_AUTH);
    context.load_cert_chain(cert!, key ?? cert);
    return await context.wrap_socket(listening, {
      server_side: true,
      do_handshake_on_connect: false,
    });
  }

  /**
   * Why a peer is refused, or `null` when it may come in.
   *
   * @param address The peer's address.
   * @returns The reason, such as `not in --allow ::1/128`.
   */
  check(address: Address): string | null {
    return this.access.check(hostOf(address));
  }

  /**
   * Runs the TLS handshake of an accepted connection (nothing without
   * TLS), within {@linkcode HANDSHAKE_SECONDS}.
   *
   * @param conn The accepted connection.
   * @throws {OSError} If the handshake fails or takes too long.
   */
  async handshake(conn: Socket): Promise<void> {
    if (!this.tls) return;
    const before = conn.gettimeout();
    conn.settimeout(HANDSHAKE_SECONDS);
    try {
      await (conn as SSLSocket).do_handshake();
    } finally {
      conn.settimeout(before);
    }
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
 * @param options `ca` and `serverName`.
 * @returns The TLS socket, its handshake done.
 * @throws {SSLCertVerificationError} If the certificate does not verify.
 */
export async function wrapClient(
  sock: Socket,
  host: string,
  options: TlsOptions,
): Promise<Socket> {
  const context = create_default_context();
  if (options.ca) context.load_verify_locations(options.ca);
  try {
    return await context.wrap_socket(sock, {
      server_hostname: options.serverName ?? host,
    });
  } finally {
    sock.close();
  }
}
