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
   * Accept IPv4 and IPv6 clients on one `AF_INET6` socket. Deno's `::`
   * listeners are dual-stack where the OS allows it (Linux, macOS), so
   * `["", port]` or `["::", port]` serves both, and `::ffff:127.0.0.1`
   * serves IPv4 loopback clients. As in Python, a `ValueError` where
   * {@linkcode has_dualstack_ipv6} is false (Windows) or the family is not
   * `AF_INET6`. Deno cannot turn `IPV6_V6ONLY` on either, so an `AF_INET6`
   * listener on `::` serves IPv4 clients even without this option (Python's
   * is IPv6-only then).
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
 * @throws {ValueError} For `dualstack_ipv6` without `AF_INET6`, or where
 * the system cannot serve both families on one socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create_server } from "@pysocket/pysocket";
 * using server = create_server(["127.0.0.1", 0], { backlog: 5 });
 * assert.equal(server.getsockname()[0], "127.0.0.1");
 * ```
 *
 * @example One IPv6 socket serving an IPv4 client
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET6, create_connection, create_server, has_dualstack_ipv6 } from "@pysocket/pysocket";
 * if (has_dualstack_ipv6()) {
 *   using server = create_server(["::ffff:127.0.0.1", 0], { family: AF_INET6, dualstack_ipv6: true });
 *   const port = server.getsockname()[1] as number;
 *   using client = await create_connection(["127.0.0.1", port]);
 *   using conn = (await server.accept())[0];
 *   assert.equal(conn.getpeername()[0], "::ffff:127.0.0.1");
 *   assert.equal(client.getpeername()[0], "127.0.0.1");
 * }
 * ```
 */
export function create_server(
  address: [string, number] | [string, number, number, number],
  options: CreateServerOptions = {},
): Socket {
  const family = options.family ?? AF_INET;
  if (options.dualstack_ipv6) {
    if (!has_dualstack_ipv6()) {
      throw new ValueError(
        "dualstack_ipv6 not supported on this platform: Deno cannot clear IPV6_V6ONLY here; create two servers, one AF_INET and one AF_INET6",
      );
    }
    if (family !== AF_INET6) {
      throw new ValueError(
        "dualstack_ipv6 requires AF_INET6 family: pass { family: AF_INET6 }",
      );
    }
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

let dualstack: boolean | null = null;

/**
 * Whether an `AF_INET6` listener can also accept IPv4 clients, like
 * Python's `socket.has_dualstack_ipv6`. Synchronous, as in Python.
 *
 * Deno's `::` listeners are dual-stack on Linux and macOS (it leaves
 * `IPV6_V6ONLY` off) and IPv6-only on Windows (the system's default, which
 * Deno cannot change). Where IPv6 exists is checked by opening a listener on
 * `::1` port 0 for an instant, when `--allow-net` already covers it (asking
 * nothing); without that permission IPv6 is assumed.
 *
 * @returns `true` on Linux and macOS with IPv6, else `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { has_dualstack_ipv6 } from "@pysocket/pysocket";
 * assert.equal(typeof has_dualstack_ipv6(), "boolean");
 * ```
 */
export function has_dualstack_ipv6(): boolean {
  if (dualstack !== null) return dualstack;
  if (Deno.build.os === "windows") return dualstack = false;
  const probe = Deno.permissions.querySync({ name: "net", host: "[::1]:0" });
  if (probe.state !== "granted") return true;
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return dualstack = true;
  } catch {
    return dualstack = false;
  }
}
