/**
 * Private: one attempt to open a stream connection, as `connect()` and
 * `create_connection()` make it.
 *
 * @module
 */

import { AF_UNIX } from "./constants.ts";
import type { Address } from "./address.ts";
import { endpointFor, formatHostPort, unixPath } from "./_address.ts";
import { oserror } from "./_translate.ts";

/** A connection attempt in flight. */
export interface ConnectAttempt {
  /** The connection, once made. Never rejects unobserved. */
  conn: Promise<Deno.Conn>;
  /** How messages name the destination. */
  where: string;
  /**
   * Gives up: stops the attempt, and closes the connection if it is made
   * anyway.
   */
  abandon(): void;
}

/**
 * Starts connecting a stream socket of `family` to `address`.
 *
 * @param family The socket's family.
 * @param address Where to connect.
 * @returns The attempt.
 * @throws {TypeError} For an address of the wrong shape.
 * @throws {OSError} For port 0 or an address of the other family.
 */
export function startConnect(family: number, address: Address): ConnectAttempt {
  const controller = new AbortController();
  let conn: Promise<Deno.Conn>;
  let where: string;
  if (family === AF_UNIX) {
    where = unixPath(address, "connect");
    conn = Deno.connect({ transport: "unix", path: where });
  } else {
    const { hostname, port } = endpointFor(address, family, "connect");
    where = formatHostPort(hostname, port);
    if (port === 0) {
      throw oserror(
        "ECONNREFUSED",
        `cannot connect to ${where}: port 0 is not a destination`,
      );
    }
    conn = Deno.connect({
      hostname,
      port,
      transport: "tcp",
      signal: controller.signal,
    });
  }
  conn.catch(() => {});
  return {
    conn,
    where,
    abandon() {
      controller.abort();
      conn.then((c) => c.close(), () => {});
    },
  };
}
