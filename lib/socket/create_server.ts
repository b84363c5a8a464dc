/**
 * Python's `socket.create_server`: a listening TCP socket in one call.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM } from "./constants.ts";
import { formatHostPort, ipEndpoint } from "./_address.ts";
import { translateError } from "./_translate.ts";
import { ValueError } from "./errors.ts";
import { Socket } from "./socket.ts";

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
 * import assert from "node:assert/strict";
 * import { create_server } from "@pysocket/pysocket";
 * using server = create_server(["127.0.0.1", 0], { backlog: 5 });
 * assert.equal(server.getsockname()[0], "127.0.0.1");
 * ```
 */
export function create_server(
  address: [string, number] | [string, number, number, number],
  options: CreateServerOptions = {},
): Socket {
  const family = options.family ?? AF_INET;
  if (options.dualstack_ipv6 && family !== AF_INET6) {
    throw new ValueError(
      "create_server(): dualstack_ipv6 requires family AF_INET6",
    );
  }
  if (family !== AF_INET && family !== AF_INET6) {
    throw new ValueError(
      `create_server(): family must be AF_INET or AF_INET6, got ${
        family === AF_UNIX ? "AF_UNIX" : family
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
